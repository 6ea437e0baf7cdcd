"""What the `mnc` commands print: compile/run/flash summaries, the `info` summary (optionally with each
layer's kernel for a target) and the `ops` table. Kept apart from mnc/cli/, which parses arguments
and turns errors into one line."""

from __future__ import annotations

import numpy as np
from rich.console import Console
from rich.table import Table

from mnc.errors import MncError
from mnc.options import CompileOptions
from mnc.safetext import escape

def print_compile_summary(result, console: Console) -> None:
    table = Table(title=f"mnc package {escape(result.out_dir)}", show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    calls = result.manifest["layers"]
    table.add_row("target", result.target.name)
    table.add_row("layers", str(len(calls)))
    table.add_row("MACs", f"{result.macs:,}")
    table.add_row("arena", f"{result.arena_bytes:,} B")
    weights = sum(a.data.nbytes for layer in result.layers for a in layer.call.arrays)
    table.add_row("constants", f"{weights:,} B")
    if result.sizes is not None:
        table.add_row("flash (text+rodata+data)", f"{result.sizes.flash:,} B")
        table.add_row("RAM (data+bss)", f"{result.sizes.ram:,} B")
    console.print(table)


def print_run_summary(manifest: dict, output: np.ndarray, target: str, instructions: int | None,
                      console: Console) -> None:
    flat = output.reshape(-1)
    scale, zp = manifest["output"]["scale"], manifest["output"]["zero_point"]
    real = (flat.astype(np.float64) - zp) * scale
    console.print(f"target: {target}")
    console.print(f"output int8: {np.array2string(flat, separator=' ', threshold=64)}")
    console.print(f"output real: {np.array2string(real, separator=' ', threshold=64, precision=4)}")
    console.print(f"top class: {int(np.argmax(flat))}")
    if instructions is not None:
        macs = sum(layer["macs"] for layer in manifest["layers"])
        console.print(f"instructions: {instructions:,} ({macs / instructions:.3f} MACs/instruction)")


def print_flash_summary(result, console: Console) -> None:
    console.print(f"uploaded: {result.project['board']} (env {result.env}{', QEMU' if result.emulated else ''})")
    if result.report is None:
        return
    labels = result.project.get("labels") or []
    name = f" ({labels[result.top_class]})" if labels else ""
    console.print(f"class: {result.top_class}{name}")
    console.print(f"output bytes: {' '.join(str(v) for v in result.output)}")
    clock_mhz = result.project["clock_hz"] / 1e6
    if result.instructions is not None:
        console.print(f"cycles: {result.report.cycles:,} SysTick ticks of QEMU's virtual clock = "
                      f"{result.instructions:,} retired instructions (-icount shift=0)")
        console.print(f"latency: {result.latency_ms:.2f} ms at {clock_mhz:g} MHz, one instruction per cycle")
    else:
        console.print(f"cycles: {result.report.cycles:,} ({result.report.timer})")
        console.print(f"latency: {result.latency_ms:.2f} ms at {clock_mhz:g} MHz")
    if result.host_output is not None:
        same = result.host_output == result.report.output
        console.print(f"host build: {'bytes equal' if same else 'BYTES DIFFER'}")


def info_summary(model, is_variant: bool, options: CompileOptions, for_target: bool) -> dict:
    """Layers, MACs and parameters: of the float structure, or (`for_target`) of the int8 graph lowered
    for `options.target` with each layer's kernel and the calibration, exactly as `mnc compile` with
    these options lowers it."""
    from mnc.compiler import lower_model
    from mnc.ops import verify_graph
    from mnc.summary import summarize

    if not is_variant and (options.classes is not None or options.resolution is not None):
        raise MncError("--classes and --resolution apply to built-in variants only")
    if not is_variant and options.weights is not None:
        raise MncError("--weights applies to built-in variants only")
    if not for_target:
        refuse_int8_choices(options)
        graph = structure_only(model, is_variant, options)
        verify_graph(graph)
        return summarize(graph)
    qgraph, layers = lower_model(model, options)
    summary = summarize(qgraph, {layer.op.name: (layer.call.kernel, layer.skipped) for layer in layers})
    summary["calibration"] = qgraph.meta.get("calibration")   # as the manifest records it; None: arrived int8
    return summary


def refuse_int8_choices(options: CompileOptions) -> None:
    """Kernels and calibration shape the int8 graph for a target; the float structure has neither."""
    if options.kernels != "mnc":
        raise MncError("--kernels chooses kernels for a --target; give one")
    if options.portable_kernels:
        raise MncError("--portable-kernels chooses kernels for a --target; give one")
    default = CompileOptions()
    if (options.calibration, options.calibration_method, options.bias_correction) != \
            (default.calibration, default.calibration_method, default.bias_correction):
        raise MncError("--calibration, --calibration-method and --bias-correction quantize for a --target; give one")


def structure_only(model, is_variant: bool, options: CompileOptions):
    """The float graph; a variant's weights are not calibrated (counting needs the structure only)."""
    from mnc.compiler import load_source
    from mnc.frontends.builtin import build_variant

    if is_variant:
        return build_variant(model, classes=options.classes, resolution=options.resolution, weights=options.weights,
                             calibrate_weights=False)
    return load_source(model, CompileOptions())[0]


def ops_table(support: list[dict]) -> Table:
    from mnc.targets import available, load_target

    features = "; ".join(f"{t}: {', '.join(sorted(load_target(t).features)) or 'portable only'}" for t in available())
    table = Table(title="mnc operators", caption=f"kernels in preference order, (v7m)/(dsp)/(mve) = needs that target "
                                                 f"feature ({features}); --json lists them per target")
    for column in ("op", "TFLite", "ONNX", "C kernels", "constraints"):
        table.add_column(column)
    for op in support:
        kernels = "\n".join(f"{k['name']} ({k['needs']})" if k["needs"] else k["name"] for k in op["kernels"])
        table.add_row(op["kind"], "\n".join(op["tflite"]), "\n".join(op["onnx"]), kernels or "-",
                      "\n".join(op["constraints"]))
    return table
