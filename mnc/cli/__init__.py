"""The `mnc` command line: compile, run, info, export, validate, report, fit.

Every user-facing failure (MncError) prints as one line `error: ...` on stderr with exit code 1;
usage errors print one line with exit code 2; tracebacks only with --debug.
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

import click
import numpy as np
from rich.table import Table

from mnc import __version__
from mnc.cli.choose import fit_cmd, report_cmd
from mnc.cli.common import (
    _json_default, _one_line, _stdout, fail, source_of, user_errors,
)
from mnc.errors import MncError
from mnc.layout import from_c_layout
from mnc.options import CALIBRATION_METHODS, KERNEL_FAMILIES, SCHEDULES
from mnc.reports import (
    info_summary, ops_table, print_compile_summary, print_flash_summary, print_run_summary,
)
from mnc.safetext import escape


@click.group()
@click.version_option(__version__, prog_name="mnc")
def cli() -> None:
    """mnc: compile MobileNet models to standalone int8 C for Arm Cortex-M."""


# ---- options compile and info share ------------------------------------------------------------

# What `mnc compile` makes of a model, declared once so `mnc info` (which shows what compile makes) takes
# the same names, choices, defaults and help. The callback gets --variant as itself and the rest packed
# into `choices`, the CompileOptions keywords, so neither command can forget to pass one on.
COMPILE_CHOICES = (
    click.option("--calibration", type=click.Path(path_type=Path), help="Calibration .npy/.npz file or folder."),
    click.option("--calibration-method", type=click.Choice(CALIBRATION_METHODS), default="minmax",
                 show_default=True, help="How each activation's range is chosen from the calibration samples."),
    click.option("--bias-correction/--no-bias-correction", default=False, show_default=True,
                 help="After calibration, shift int32 biases to cancel the mean error int8 rounding causes."),
    click.option("--classes", type=click.IntRange(min=1), help="Classes of a built-in variant."),
    click.option("--resolution", type=click.IntRange(min=1), help="Input resolution of a built-in variant."),
    click.option("--weights", type=click.Path(path_type=Path), help="Weights .npz for a built-in variant."),
    click.option("--portable-kernels", is_flag=True, hidden=True,
                 help="Use the portable C kernels even where the target has DSP/MVE (for benchmarks)."),
    click.option("--schedule", type=click.Choice(SCHEDULES), default="plain", show_default=True,
                 help="auto: run row-streamed segments where they lower the arena (<= 10% more instructions)."),
    click.option("--ram-budget", type=click.IntRange(min=1), help="Arena bytes to fit; streams as much as needed."),
    click.option("--kernels", type=click.Choice(KERNEL_FAMILIES), default="mnc", show_default=True,
                 help="Kernel family: mnc's own, or Arm's CMSIS-NN where it has the op (mnc's elsewhere)."),
    click.option("--cmsis-nn", "cmsis_nn", type=click.Path(path_type=Path),
                 help="CMSIS-NN tree for --kernels cmsis-nn [../shared/third_party/CMSIS-NN]."),
)
COMPILE_CHOICE_NAMES = ("calibration", "calibration_method", "bias_correction", "classes", "resolution", "weights",
                        "portable_kernels", "schedule", "ram_budget", "kernels", "cmsis_nn")  # a name missing
# here, or one too many, fails every call of both commands (unexpected keyword / KeyError), never silently


def variant_option(command):
    return click.option("--variant", help="Built-in model, e.g. v1-0.25, v2-0.35-128, v3s-1.0.")(command)


def compile_choices(command):
    """Adds COMPILE_CHOICES to `command`, which receives them as one dict, `choices`."""

    @functools.wraps(command)
    def with_choices(*args, **kwargs):
        choices = {name: kwargs.pop(name) for name in COMPILE_CHOICE_NAMES}
        return command(*args, choices=choices, **kwargs)

    for option in reversed(COMPILE_CHOICES):
        with_choices = option(with_choices)
    return with_choices


# ---- compile ----------------------------------------------------------------------------------

@cli.command("compile")
@click.argument("source", required=False)
@variant_option
@click.option("--target", default="host", show_default=True, help="Target name (targets/*.toml).")
@click.option("-o", "out_dir", type=click.Path(path_type=Path), help="Output directory [build/<model>-<target>].")
@compile_choices
@click.option("--board", help="Write a PlatformIO project for this board (targets/boards/*.toml) instead.")
@click.option("--input", "input_path", type=click.Path(path_type=Path),
              help="With --board: the input baked into the firmware (.npy, int8 or float32) [a calibration sample].")
@click.option("--labels", help="With --board: class names, comma-separated, printed by `mnc flash`.")
@user_errors
def compile_cmd(source, variant, target, out_dir, choices, board, input_path, labels):
    """Compile SOURCE (.tflite, .onnx) or a built-in --variant into a C package (or, with --board,
    a PlatformIO project that runs it on the board)."""
    from mnc.compiler import compile_model
    from mnc.options import CompileOptions

    src = source_of(source, variant)
    options = CompileOptions(target=target, out_dir=out_dir, board=board, **choices)
    if board is not None:
        print_compile_summary(compile_board_project(src, options, target, input_path, labels), _stdout())
    elif input_path is not None or labels is not None:
        raise click.UsageError("--input and --labels apply to --board projects only")
    else:
        print_compile_summary(compile_model(src, options), _stdout())


def compile_board_project(src, options, target: str, input_path: Path | None, labels: str | None):
    from mnc.boards import load_board
    from mnc.data import run_input
    from mnc.platformio.project import calibration_sample, create_project

    board = load_board(options.board)
    if target not in ("host", board.core_target):   # "host" is --target's default
        raise MncError(f"board {board.name} runs {board.core_target} code; drop --target {target}")
    if options.out_dir is None:
        raise click.UsageError("--board needs -o OUT, the project directory")

    def make_input(spec: dict) -> np.ndarray:
        if input_path is not None:
            return run_input(input_path, spec)
        return calibration_sample(spec, options.calibration, options.seed)

    names = tuple(name.strip() for name in labels.split(",")) if labels else ()
    result = create_project(src, options, options.out_dir, make_input, names)
    _stdout().print(f"PlatformIO project {options.out_dir} for {board.name} ({board.core_target}); "
                    f"run it with `mnc flash {options.out_dir}`")
    return result


# ---- run --------------------------------------------------------------------------------------

@cli.command("run")
@click.argument("out_dir", type=click.Path(path_type=Path))
@click.option("--target", help="Where to run: host, or an emulated target [the package's target].")
@click.option("--input", "input_path", type=click.Path(path_type=Path), help="Input .npy (int8, or float32 to quantize).")
@click.option("--output", "output_path", type=click.Path(path_type=Path), help="Save the int8 output as .npy.")
@user_errors
def run_cmd(out_dir, target, input_path, output_path):
    """Build and run the package in OUT_DIR once."""
    from mnc.data import run_input
    from mnc.targets import load_target

    manifest = read_manifest(out_dir)
    tgt = load_target(target or manifest["target"])
    x = run_input(input_path, manifest["input"])
    output, instructions = execute(out_dir, tgt, x)
    if output_path is not None:
        np.save(output_path, from_c_layout(output, manifest["output"]))
    print_run_summary(manifest, output, tgt.name, instructions, _stdout())


def read_manifest(out_dir: Path) -> dict:
    from mnc.codegen.emit import MANIFEST, is_package

    if not is_package(out_dir):
        raise MncError(f"{out_dir} is not an mnc package (no valid {MANIFEST}); create one with `mnc compile`")
    return json.loads((out_dir / MANIFEST).read_text())


def execute(out_dir: Path, target, x: np.ndarray) -> tuple[np.ndarray, int | None]:
    if target.kind == "host":
        from mnc.runners import host

        return host.run(out_dir, x), None
    from mnc.runners import cortexm

    result = cortexm.run(out_dir, target.name, x)
    return result.output, result.instructions


# ---- flash ------------------------------------------------------------------------------------

@cli.command("flash")
@click.argument("project", type=click.Path(path_type=Path))
@click.option("--env", help="PlatformIO env [the board's; qemu_<machine> runs it in QEMU].")
@click.option("--monitor", is_flag=True, help="Read the report back from the UART and print it.")
@click.option("--check", is_flag=True, help="Compare the output bytes with the host build; exit 1 if they differ.")
@user_errors
def flash_cmd(project, env, monitor, check):
    """Build and upload the PlatformIO PROJECT written by `mnc compile --board` (pio run -t upload)."""
    from mnc.platformio.flash import flash

    result = flash(project, env, monitor, check, echo=lambda line: click.echo(line, err=True))
    print_flash_summary(result, _stdout())
    if check and result.host_output != result.report.output:
        fail(f"output bytes differ from the host build: board {result.report.output.hex()}, "
             f"host {result.host_output.hex()}")


# ---- info -------------------------------------------------------------------------------------

@cli.command("info")
@click.argument("source", required=False)
@variant_option
@click.option("--target", help="Quantize and choose kernels for this target: each layer's C kernel and "
                               "why faster ones were skipped (with --memory: the plan for it) [host].")
@compile_choices
@click.option("--json", "as_json", is_flag=True, help="Print JSON (macs, params, layers).")
@click.option("--memory", is_flag=True, help="The arena plan instead: each step's live buffers and the peak.")
@click.option("--plot", type=click.Path(path_type=Path), help="With --memory: draw the arena to this PNG.")
@user_errors
def info_cmd(source, variant, target, choices, as_json, memory, plot):
    """Layers, MACs and parameters of SOURCE or a built-in --variant (before quantization, or with
    --target as compiled for that target); with --memory the arena plan.

    The options shared with `mnc compile` mean what they mean there: with --target or --memory the
    graph, kernels and plan are those of the package compile writes with the same options. The
    calibration options and --kernels need --target or --memory; --schedule and --ram-budget need
    --memory."""
    from mnc.options import CompileOptions
    from mnc.summary import print_summary

    # the options `mnc compile` builds from the same flags, so the kernels and the plan are the package's
    options = CompileOptions(target=target or "host", **choices)
    if memory:
        return memory_info(source_of(source, variant), options, as_json, plot)
    if plot is not None or options.ram_budget is not None or options.schedule != "plain":
        raise MncError("--plot, --schedule and --ram-budget apply to `mnc info --memory` only")
    summary = info_summary(source_of(source, variant), variant is not None, options, for_target=target is not None)
    if as_json:
        click.echo(json.dumps(summary, indent=2, sort_keys=True, default=_json_default))
    else:
        print_summary(summary, _stdout())


def memory_info(model, options, as_json: bool, plot: Path | None) -> None:
    from mnc.compiler import plan_model
    from mnc.memory.report import memory_report, plot_memory

    graph, _layers, plan = plan_model(model, options)
    report = memory_report(graph, plan)
    if plot is not None:
        plot_memory(report, plot, graph.name)
    if as_json:
        click.echo(json.dumps(report, indent=2, sort_keys=True))
        return
    table = Table(title=escape(f"{graph.name}: arena {report['arena_bytes']:,} B, most live at step "
                               f"{report['peak_step']} ({report['peak_op']})"))
    for column in ("#", "layer", "kind", "segment", "live buffers", "live bytes", "arena top"):
        table.add_column(column, justify="right" if column in ("#", "live bytes", "arena top") else "left")
    for step in report["steps"]:
        segment = "" if step["segment"] is None else f"S{step['segment']}"
        table.add_row(str(step["step"]), escape(step["op"]), step["kind"], segment, str(len(step["live"])),
                      f"{step['live_bytes']:,}", f"{step['top']:,}")
    _stdout().print(table)


# ---- ops --------------------------------------------------------------------------------------

@cli.command("ops")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per op kind).")
@user_errors
def ops_cmd(as_json):
    """Supported operators: TFLite and ONNX names -> mnc op, lowering constraints, C kernels per target."""
    from mnc.support import op_support

    support = op_support()
    if as_json:
        click.echo(json.dumps(support, indent=2, sort_keys=True))
        return
    _stdout().print(ops_table(support))


# ---- export -----------------------------------------------------------------------------------

@cli.command("export")
@click.argument("output", type=click.Path(path_type=Path))
@click.option("--variant", required=True, help="Built-in model, e.g. v1-0.25, v3s-0.75-128.")
@click.option("--classes", type=click.IntRange(min=1), help="Classes of the variant.")
@click.option("--resolution", type=click.IntRange(min=1), help="Input resolution of the variant.")
@click.option("--weights", type=click.Path(path_type=Path), help="Weights .npz for the variant.")
@user_errors
def export_cmd(output, variant, classes, resolution, weights):
    """Write a built-in --variant to OUTPUT (.onnx) as a float NCHW ONNX model.

    The graph looks like a PyTorch export (Conv, BatchNormalization, Clip/HardSwish/HardSigmoid, ...)
    and keeps mnc's op and tensor names, so compiling OUTPUT gives the same C as the variant itself.
    """
    from mnc.frontends.builtin import build_variant
    from mnc.frontends.onnx.exporter import export_onnx

    check_export_path(output)
    graph = build_variant(variant, classes=classes, resolution=resolution, weights=weights)
    model = export_onnx(graph, output)
    params = sum(int(np.prod(init.dims)) for init in model.graph.initializer)
    _stdout().print(f"wrote {escape(output)}: {escape(graph.name)}, {len(model.graph.node)} ONNX nodes, {params:,} parameters")


def check_export_path(output: Path) -> None:
    if output.suffix.lower() != ".onnx":
        raise MncError(f"export output {output} must end in .onnx")
    if output.is_dir():
        raise MncError(f"export output {output} is a directory")
    if not output.parent.is_dir():
        raise MncError(f"export output folder {output.parent} does not exist")


# ---- validate ---------------------------------------------------------------------------------

@cli.command("validate")
@click.argument("model", type=click.Path(path_type=Path))
@click.option("--target", default="host", show_default=True, help="Where the layer dump runs (host only).")
@click.option("--input", "input_path", type=click.Path(path_type=Path),
              help="Input .npy (int8, or float32 to quantize) or image (grey, replicated to the channels).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@user_errors
def validate_cmd(model, target, input_path, as_json):
    """Check a .tflite MODEL layer by layer against TFLite's reference kernels, bit for bit.

    Exits 1 if any layer output or the final output differs from LiteRT or TFLite Micro.
    """
    from mnc.validate import print_report, validate

    x = validation_input(model, input_path)
    report = validate(model, x, target)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, default=_json_default))
    else:
        print_report(report, _stdout())
    if not report.ok:
        sys.exit(1)


def validation_input(model: Path, input_path: Path | None) -> np.ndarray | None:
    """The user's input in the model's shape, or None for validate's seeded default."""
    if input_path is None:
        return None
    from mnc.data import IMAGE_SUFFIXES, image_input, run_input
    from mnc.validate import checked_model, model_input_spec

    spec = model_input_spec(checked_model(model))
    if input_path.suffix.lower() in IMAGE_SUFFIXES:
        return image_input(input_path, spec)
    return run_input(input_path, spec)


cli.add_command(report_cmd)
cli.add_command(fit_cmd)


# ---- entry point ------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> None:
    """Console script: usage errors become one line with exit code 2."""
    try:
        cli.main(args=argv, prog_name="mnc", standalone_mode=False)
    except click.exceptions.Abort:
        fail("aborted", 1)
    except click.UsageError as exc:
        hint = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
        fail(_one_line(exc.format_message()) + hint, exc.exit_code)
    except click.ClickException as exc:
        fail(_one_line(exc.format_message()), exc.exit_code)
    sys.exit(0)
