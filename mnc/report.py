"""`mnc report`: what each layer of a compiled model costs, from the compiler's own numbers.

Per layer: op, the kernel the lowering chose, output shape, MACs, parameters, constant bytes in
flash, and the activation bytes live in the arena while the layer runs (its inputs, outputs,
scratch, and everything kept for later layers). With an emulated target, the retired
instructions of the layer under QEMU (`-icount shift=0`, profiling build) and MACs per
instruction. Every number comes from compiling the model: nothing is estimated.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from rich.console import Console
from rich.table import Table

from mnc.compiler import CompileResult, compile_model
from mnc.errors import MncError
from mnc.options import CompileOptions
from mnc.safetext import escape
from mnc.summary import op_params

ALIAS_KERNEL = "(alias)"     # reshape: no call, the output shares the input's memory


@dataclass(frozen=True)
class LayerReport:
    index: int
    name: str
    kind: str
    kernel: str
    output_shape: list[int]
    macs: int
    params: int
    weight_bytes: int
    live_bytes: int
    instructions: int | None = None

    @property
    def macs_per_instruction(self) -> float | None:
        return self.macs / self.instructions if self.instructions else None


@dataclass(frozen=True)
class Report:
    model: str
    target: str
    layers: list[LayerReport]
    arena_bytes: int
    peak_live_bytes: int         # most arena bytes in use at one step (the layers' live_bytes)
    flash_bytes: int | None      # linked package sections, for Cortex-M targets
    ram_bytes: int | None
    instructions: int | None     # one whole inference (mnc_run), profiling hooks excluded

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    @property
    def params(self) -> int:
        return sum(layer.params for layer in self.layers)

    @property
    def weight_bytes(self) -> int:
        return sum(layer.weight_bytes for layer in self.layers)

    def to_dict(self) -> dict:
        totals = {"macs": self.macs, "params": self.params, "weight_bytes": self.weight_bytes,
                  "arena_bytes": self.arena_bytes, "peak_live_bytes": self.peak_live_bytes,
                  "flash_bytes": self.flash_bytes, "ram_bytes": self.ram_bytes,
                  "instructions": self.instructions,
                  "macs_per_instruction": _ratio(self.macs, self.instructions)}
        layers = [{**asdict(layer), "macs_per_instruction": layer.macs_per_instruction} for layer in self.layers]
        return {"model": self.model, "target": self.target, "totals": totals, "layers": layers}


# ---- building ---------------------------------------------------------------------------------

def build_report(source, options: CompileOptions) -> Report:
    """Compile `source` for `options.target` into a scratch folder and report on it; on an
    emulated target, also run it once (profiling build) for per-layer instructions."""
    with tempfile.TemporaryDirectory(prefix="mnc-report-") as tmp:
        result = compile_model(source, _scratch_options(options, Path(tmp) / "package"))
        measured = _profile(result) if result.target.kind != "host" else None
        return _report(result, measured)


def _scratch_options(options: CompileOptions, out_dir: Path) -> CompileOptions:
    return replace(options, out_dir=out_dir)


def _profile(result: CompileResult):
    """(whole-run instructions, per emitted call instructions) on the emulated core."""
    import numpy as np

    from mnc.runners import cortexm

    shape = result.manifest["input"]["shape"]
    x = np.random.default_rng(0).integers(-128, 128, shape, dtype=np.int8)
    plain = cortexm.run(result.out_dir, result.target.name, x)
    profiled = cortexm.run(result.out_dir, result.target.name, x, profile=True)
    return plain.instructions, profiled.layer_instructions


def _report(result: CompileResult, measured) -> Report:
    instructions, per_call = measured if measured is not None else (None, None)
    calls = iter(per_call or [])
    live = result.plan.live_bytes_per_step(len(result.layers))
    layers = []
    for i, layer in enumerate(result.layers):
        call = layer.call
        counted = None if call.is_alias or per_call is None else next(calls)
        layers.append(LayerReport(
            index=i, name=layer.op.name, kind=layer.op.kind,
            kernel=ALIAS_KERNEL if call.is_alias else call.kernel,
            output_shape=list(result.graph.tensor(layer.op.outputs[0]).shape),
            macs=layer.macs, params=op_params(layer.op, result.graph),
            weight_bytes=sum(a.data.nbytes for a in call.arrays),
            live_bytes=live[i], instructions=counted))
    sizes = result.sizes
    return Report(model=result.graph.name, target=result.target.name, layers=layers,
                  arena_bytes=result.arena_bytes, peak_live_bytes=max(live, default=0),
                  flash_bytes=sizes.flash if sizes else None, ram_bytes=sizes.ram if sizes else None,
                  instructions=instructions)


def _ratio(macs: int, instructions: int | None) -> float | None:
    return macs / instructions if instructions else None


# ---- rendering --------------------------------------------------------------------------------

COLUMNS = ("#", "layer", "op", "kernel", "output", "MACs", "params", "weight B", "live B", "instr", "MACs/instr")
NUMERIC = {"#", "MACs", "params", "weight B", "live B", "instr", "MACs/instr"}


def _columns(report: Report) -> tuple[str, ...]:
    return COLUMNS if report.instructions is not None else COLUMNS[:-2]


def _row(layer: LayerReport, with_target: bool) -> list[str]:
    row = [str(layer.index), layer.name, layer.kind, layer.kernel, "x".join(map(str, layer.output_shape)),
           f"{layer.macs:,}", f"{layer.params:,}", f"{layer.weight_bytes:,}", f"{layer.live_bytes:,}"]
    if with_target:
        row += ["" if layer.instructions is None else f"{layer.instructions:,}", _fmt_ratio(layer.macs_per_instruction)]
    return row


def _totals_row(report: Report) -> list[str]:
    row = ["", "total", "", "", "", f"{report.macs:,}", f"{report.params:,}", f"{report.weight_bytes:,}",
           f"{report.peak_live_bytes:,} peak"]
    if report.instructions is not None:
        row += [f"{report.instructions:,}", _fmt_ratio(_ratio(report.macs, report.instructions))]
    return row


def _fmt_ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _footer(report: Report) -> list[str]:
    lines = [f"arena {report.arena_bytes:,} B (peak live activations {report.peak_live_bytes:,} B)"]
    if report.flash_bytes is not None:
        lines.append(f"linked package on {report.target}: flash {report.flash_bytes:,} B, RAM {report.ram_bytes:,} B")
    if report.instructions is not None:
        lines.append("instructions: retired instructions under QEMU -icount (whole run without profiling hooks; "
                     "per layer from the profiling build)")
    return lines


def print_table(report: Report, console: Console) -> None:
    with_target = report.instructions is not None
    table = Table(title=escape(f"{report.model} on {report.target}"))
    for column in _columns(report):
        table.add_column(column, justify="right" if column in NUMERIC else "left")
    for layer in report.layers:
        table.add_row(*(escape(cell) for cell in _row(layer, with_target)))
    table.add_section()
    table.add_row(*_totals_row(report))
    console.print(table)
    for line in _footer(report):
        console.print(escape(line))


def markdown(report: Report) -> str:
    with_target = report.instructions is not None
    columns = _columns(report)
    align = ["---:" if c in NUMERIC else "---" for c in columns]
    rows = [_row(layer, with_target) for layer in report.layers] + [_totals_row(report)]
    lines = [f"# {_md(report.model)} on {_md(report.target)}", "",
             "| " + " | ".join(columns) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(_md(cell) for cell in row) + " |" for row in rows]
    lines += [""] + [f"- {_md(line)}" for line in _footer(report)]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    """Model-derived text inside a Markdown table: no pipes, no HTML, no control characters."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in str(text))
    for ch in "\\|<>*_`[]":
        cleaned = cleaned.replace(ch, "\\" + ch)
    return cleaned


# ---- plots ------------------------------------------------------------------------------------

def write_plots(report: Report, folder: Path) -> list[Path]:
    """PNG files: MACs (and instructions) per layer, and the memory timeline. Returns their paths."""
    import matplotlib

    matplotlib.use("Agg")   # files only, never a display
    from matplotlib import pyplot as plt

    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise MncError(f"plot folder {folder} is a file")
    folder.mkdir(parents=True, exist_ok=True)
    written = [_plot_layers(plt, report, folder / "layers.png"), _plot_memory(plt, report, folder / "memory.png")]
    return written


def _plot_layers(plt, report: Report, path: Path) -> Path:
    index = [layer.index for layer in report.layers]
    with_target = report.instructions is not None
    fig, axes = plt.subplots(2 if with_target else 1, 1, figsize=(12, 7 if with_target else 4), sharex=True,
                             squeeze=False)
    axes[0][0].bar(index, [layer.macs for layer in report.layers], color="tab:blue")
    axes[0][0].set_ylabel("MACs")
    axes[0][0].set_title(f"{report.model} on {report.target}: per layer", parse_math=False)
    if with_target:
        counted = [layer.instructions or 0 for layer in report.layers]
        axes[1][0].bar(index, counted, color="tab:orange")
        axes[1][0].set_ylabel("instructions (QEMU)")
    axes[-1][0].set_xlabel("layer (schedule order)")
    return _save(plt, fig, path)


def _plot_memory(plt, report: Report, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(12, 4))
    index = [layer.index for layer in report.layers]
    ax.step(index, [layer.live_bytes for layer in report.layers], where="mid", label="live activations")
    ax.axhline(report.arena_bytes, color="tab:red", linestyle="--", label=f"arena {report.arena_bytes:,} B")
    ax.set_xlabel("layer (schedule order)")
    ax.set_ylabel("bytes")
    ax.set_title(f"{report.model}: arena memory timeline", parse_math=False)
    ax.legend()
    return _save(plt, fig, path)


def _save(plt, fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)
    return path
