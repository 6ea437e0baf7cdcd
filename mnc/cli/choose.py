"""`mnc report` and `mnc fit`: which model, at which width and resolution, fits a board."""

from __future__ import annotations

import json
from pathlib import Path

import click

from mnc import __version__
from mnc.cli.common import _json_default, source_of, user_errors, wide_stdout
from mnc.errors import MncError
from mnc.fit.candidates import DEFAULT_CLASSES, DEFAULT_RESOLUTIONS


@click.command("report")
@click.argument("source", required=False)
@click.option("--variant", help="Built-in model, e.g. v1-0.25, v4s-1.0-128.")
@click.option("--target", help="Target to compile for [host]; an emulated Cortex-M target adds instructions per layer.")
@click.option("--board", help="Board (targets/boards/*.toml): compile for its core and check the model fits it.")
@click.option("--classes", type=click.IntRange(min=1), help="Classes of a built-in variant.")
@click.option("--resolution", type=click.IntRange(min=1), help="Input resolution of a built-in variant.")
@click.option("--weights", type=click.Path(path_type=Path), help="Weights .npz for a built-in variant.")
@click.option("--calibration", type=click.Path(path_type=Path), help="Calibration .npy/.npz file or folder.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--markdown", "as_markdown", is_flag=True, help="Print the report as a Markdown table.")
@click.option("--plot", "plot_dir", type=click.Path(path_type=Path), help="Write PNG plots into this folder.")
@user_errors
def report_cmd(source, variant, target, board, classes, resolution, weights, calibration, as_json, as_markdown, plot_dir):
    """Per-layer table of SOURCE (.tflite, .onnx) or a built-in --variant, compiled for --target:
    op, kernel, output shape, MACs, parameters, weight bytes, live activation bytes and, on an
    emulated target, instructions and MACs per instruction."""
    from mnc.options import CompileOptions
    from mnc.report import build_report, markdown, print_table, write_plots

    if as_json and as_markdown:
        raise click.UsageError("give at most one of --json and --markdown")
    src = source_of(source, variant)
    target = _core_of(board, target)
    options = CompileOptions(target=target, calibration=calibration, classes=classes, resolution=resolution,
                             weights=weights, board=board)
    report = build_report(src, options)
    if plot_dir is not None:
        written = write_plots(report, plot_dir)
        click.echo(f"wrote {', '.join(str(p) for p in written)}", err=True)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, default=_json_default))
    elif as_markdown:
        click.echo(markdown(report), nl=False)
    else:
        print_table(report, wide_stdout())


def _core_of(board: str | None, target: str | None) -> str:
    if board is None:
        return target or "host"
    if target is not None:
        raise click.UsageError("give at most one of --target and --board")
    from mnc.boards import load_board

    return load_board(board).core_target


# ---- fit --------------------------------------------------------------------------------------

ALL_FAMILIES = "v1,v2,v3s,v3l,v4s,v4m"


def _split(text: str | None, kind: type, option: str) -> list | None:
    if text is None:
        return None
    try:
        values = [kind(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise click.BadParameter(f"expected a comma-separated list, got {text!r}", param_hint=option) from None
    if not values:
        raise click.BadParameter("empty list", param_hint=option)
    return values


@click.command("fit")
@click.option("--board", help="Board (targets/boards/*.toml): its core, RAM, flash and clock.")
@click.option("--target", "core", help="Cortex-M core to measure on (targets/*.toml), e.g. cortex-m4.")
@click.option("--ram", "ram_bytes", type=click.IntRange(min=1), help="RAM available to the model, bytes.")
@click.option("--flash", "flash_bytes", type=click.IntRange(min=1), help="Flash available to the model, bytes.")
@click.option("--clock-mhz", type=click.FloatRange(min=0, min_open=True), help="CPU clock of the board, MHz.")
@click.option("--max-latency-ms", type=click.FloatRange(min=0, min_open=True), help="Latency budget per inference.")
@click.option("--cpi", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
              help="Cycles per instruction assumed by the latency model.")
@click.option("--families", default=ALL_FAMILIES, show_default=True, help="Built-in families to sweep.")
@click.option("--widths", help="Only these width multipliers, e.g. 0.25,0.5 [every width a family defines].")
@click.option("--resolutions", default=",".join(map(str, DEFAULT_RESOLUTIONS)), show_default=True)
@click.option("--classes", type=click.IntRange(min=1), default=DEFAULT_CLASSES, show_default=True)
@click.option("--jobs", type=click.IntRange(min=1), help="Worker processes [all cores].")
@click.option("--scheduler", help="Address of a Dask distributed scheduler to run the sweep on.")
@click.option("--cache-dir", type=click.Path(path_type=Path), help="Measurement cache [~/.cache/mnc/fit].")
@click.option("--no-cache", is_flag=True, help="Measure every candidate again.")
@click.option("-o", "out_dir", type=click.Path(path_type=Path), default=Path("build/fit"), show_default=True,
              help="Folder for fit.json and pareto.png.")
@user_errors
def fit_cmd(board, core, ram_bytes, flash_bytes, clock_mhz, max_latency_ms, cpi, families, widths, resolutions, classes,
            jobs, scheduler, cache_dir, no_cache, out_dir):
    """Which built-in MobileNet fits the board: every candidate compiled for the core (exact flash
    and RAM) and run once under QEMU (instructions), against published ImageNet accuracy."""
    from mnc.fit.cache import Cache, default_cache_dir
    from mnc.fit.candidates import sweep
    from mnc.fit.output import print_fit, write_outputs
    from mnc.fit.pareto import assess, fit_summary
    from mnc.fit.runner import default_jobs, measure_all

    limits = _limits(board, core, ram_bytes, flash_bytes, clock_mhz, max_latency_ms, cpi)
    candidates = sweep(_split(families, str, "--families"), _split(resolutions, int, "--resolutions"), classes,
                       _split(widths, float, "--widths"))
    cache = Cache(None if no_cache else (cache_dir or default_cache_dir()))
    console = wide_stdout()
    measured = measure_all(candidates, limits.core, cache, jobs or default_jobs(), scheduler)
    summary = fit_summary(assess(candidates, measured, limits), limits, __version__)
    print_fit(summary, console)
    for path in write_outputs(summary, out_dir):
        console.print(f"wrote {path}")


def _limits(board, core, ram_bytes, flash_bytes, clock_mhz, max_latency_ms, cpi):
    """From --board, or from --target with --ram, --flash and --clock-mhz (never a mix)."""
    from mnc.fit.pareto import Limits

    if board is None:
        return Limits(_checked_core(core), *_required(ram_bytes, flash_bytes, clock_mhz), max_latency_ms, cpi)
    if any(v is not None for v in (core, ram_bytes, flash_bytes, clock_mhz)):
        raise click.UsageError("give either --board or --target/--ram/--flash/--clock-mhz, not both")
    from mnc.boards import load_board

    spec = load_board(board)
    return Limits(_checked_core(spec.core_target), spec.ram_bytes, spec.flash_bytes, spec.clock_hz / 1e6,
                  max_latency_ms, cpi, board=spec.name)


def _required(ram_bytes, flash_bytes, clock_mhz) -> tuple[int, int, float]:
    missing = [name for name, value in (("--ram", ram_bytes), ("--flash", flash_bytes), ("--clock-mhz", clock_mhz))
               if value is None]
    if missing:
        raise click.UsageError(f"give {', '.join(missing)} with --target")
    return ram_bytes, flash_bytes, clock_mhz


def _checked_core(core: str | None) -> str:
    from mnc.targets import load_target

    if core is None:
        raise click.UsageError("give --board NAME, or --target CORE with --ram, --flash and --clock-mhz")
    target = load_target(core)
    if target.kind != "cortex-m" or not target.qemu_machine:
        raise MncError(f"target {core!r} is not an emulated Cortex-M core; fit measures on one (e.g. cortex-m4)")
    return core


# ---- entry point ------------------------------------------------------------------------------
