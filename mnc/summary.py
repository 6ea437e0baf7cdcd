"""Per-layer MACs and parameter counts of a Graph, for `mnc info` and the compile summary.

Parameters are counted as the papers count them, i.e. after folding batch norms into the
preceding conv: weights and biases count element by element, and a batch_norm counts one
value per channel (the bias it folds into), not its four statistics vectors.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from mnc.ir import Graph, Op
from mnc.ops import get_op
from mnc.safetext import escape


def summarize(graph: Graph, kernels: dict[str, tuple[str, dict[str, str]]] | None = None) -> dict:
    """{"name", "macs", "params", "layers": [{name, kind, output_shape, macs, params}]}; with `kernels`
    ({op name: (kernel, {skipped kernel: reason})}) each layer also gets "kernel" and "skipped"."""
    layers = [_layer(op, graph) for op in graph.ops()]
    for layer in layers if kernels is not None else ():
        layer["kernel"], layer["skipped"] = kernels[layer["name"]]
    return {
        "name": graph.name,
        "macs": sum(layer["macs"] for layer in layers),
        "params": sum(layer["params"] for layer in layers),
        "layers": layers,
    }


def _layer(op: Op, graph: Graph) -> dict:
    return {
        "name": op.name,
        "kind": op.kind,
        "output_shape": list(graph.tensor(op.outputs[0]).shape),
        "macs": int(get_op(op.kind).macs(op, graph)),
        "params": op_params(op, graph),
    }


def op_params(op: Op, graph: Graph) -> int:
    """Constant elements the op reads; a batch norm counts as its folded per-channel bias."""
    if op.kind == "batch_norm":
        return graph.tensor(op.outputs[0]).shape[-1]
    return sum(graph.tensor(name).size for name in op.inputs if name and graph.tensor(name).is_const)


def summary_table(summary: dict) -> Table:
    table = Table(title=f"{escape(summary['name'])}: {_short(summary['macs'])} MACs, "
                        f"{_short(summary['params'])} parameters")
    with_kernels = bool(summary["layers"]) and "kernel" in summary["layers"][0]
    columns = ("#", "layer", "kind", "output", "MACs", "params") + (("kernel",) if with_kernels else ())
    for column in columns:
        table.add_column(column, justify="right" if column in ("#", "MACs", "params") else "left")
    for i, layer in enumerate(summary["layers"]):
        shape = "x".join(str(d) for d in layer["output_shape"])
        row = [str(i), escape(layer["name"]), escape(layer["kind"]), shape, f"{layer['macs']:,}", f"{layer['params']:,}"]
        table.add_row(*row, *((_kernel_name(layer),) if with_kernels else ()))
    return table


def _kernel_name(layer: dict) -> str:
    return layer["kernel"] or "(none: shares its input's buffer)"


def skipped_lines(summary: dict) -> list[str]:
    """Why each layer did not get a faster kernel: one line per skipped kernel."""
    return [f"{layer['name']}: {kernel} skipped: {reason}"
            for layer in summary["layers"] for kernel, reason in layer.get("skipped", {}).items()]


def print_summary(summary: dict, console: Console | None = None) -> None:
    console = console or Console(markup=False, emoji=False, highlight=False)
    console.print(summary_table(summary))
    for line in skipped_lines(summary):
        console.print(escape(line), markup=False)


def _short(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1e6:.2f}M"
    return f"{n / 1e3:.1f}K" if n >= 1_000 else str(n)
