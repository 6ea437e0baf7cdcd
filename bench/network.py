"""Whole-network cost on emulated Cortex-M CPUs, three kernel families measured in the same run: mnc's
portable C kernels, mnc's optimized (v7m/DSP/MVE) kernels and Arm's CMSIS-NN (`--kernels cmsis-nn`, built
from ../shared/third_party/CMSIS-NN with the same compiler and flags). Retired instructions per inference,
MACs per instruction, flash, RAM, compile time, the speed-up of mnc over CMSIS-NN, and per-layer profiles.

    .venv/bin/python bench/network.py [--models vww v1-0.25 v2-0.35 v3s-0.75] [--targets cortex-m3 cortex-m4 ...]
                                      [--layers all|none|MODEL@TARGET ...] [--cmsis-nn DIR]

Columns:
  instructions  retired instructions of one mnc_run() (SysTick under `qemu -icount shift=0`); measured
  MACs/instr    the model's MACs / instructions; measured
  vs CMSIS-NN   CMSIS-NN's instructions / this row's instructions (> 1: fewer instructions than CMSIS-NN)
  flash         .text + .rodata + .data of the package objects (harness excluded; for CMSIS-NN the
                package holds exactly the Arm sources the core links, see mnc/cmsis_nn/sources.py)
  RAM           .data + .bss (the arena, CMSIS-NN's scratch buffers included) + stack estimated from the
                -fstack-usage call graph (bench/common.py)
  compile       seconds for compile_model to write the C package (Python only, no C compiler)
  same output   this row's output equals the portable build's, byte for byte
Ops CMSIS-NN has no int8 kernel for (MEAN, MUL, the LUT activations) run mnc's portable kernel in the
CMSIS-NN build, as TFLite Micro would run its reference kernel; the per-layer tables name them.
Built-in variants are compiled at 96x96 with seeded weights and synthetic calibration: their instruction
counts are representative, their accuracy is not.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):   # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from bench.common import VWW_INT8, emit, quiet_warnings, stack_estimate, table
from mnc.errors import FitError

MODELS = ("vww", "v1-0.25", "v2-0.35", "v3s-0.75")
TARGETS = ("cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33", "cortex-m55")
FAMILIES = ("portable", "optimized", "cmsis-nn")
RESOLUTION = 96
INPUT_SEED = 0


@dataclass(frozen=True)
class Measurement:
    model: str
    target: str
    kernels: str              # one of FAMILIES
    macs: int
    instructions: int
    flash: int
    ram: int
    compile_s: float
    output: np.ndarray
    layer_instructions: list[int] | None
    layer_names: list[str]
    layer_kinds: list[str]
    layer_kernels: list[str]
    layer_macs: list[int]

    @property
    def macs_per_instruction(self) -> float:
        return self.macs / self.instructions


def source_of(model: str):
    return VWW_INT8 if model == "vww" else model


def measure(model: str, target: str, kernels: str, work: Path, profile: bool = False,
            cmsis_nn: Path | None = None) -> Measurement:
    from mnc.compiler import compile_model, measure as package_sizes
    from mnc.options import CompileOptions
    from mnc.runners import cortexm

    family = {"kernels": "cmsis-nn", "cmsis_nn": cmsis_nn} if kernels == "cmsis-nn" else {}
    options = CompileOptions(target=target, out_dir=work / f"{model}-{target}-{kernels}", build_sizes=False,
                             portable_kernels=kernels == "portable",
                             resolution=None if model == "vww" else RESOLUTION, **family)
    started = time.perf_counter()
    result = compile_model(source_of(model), options)
    compile_s = time.perf_counter() - started
    sizes = package_sizes(result.out_dir, result.target)
    stack = stack_estimate(result.out_dir, result.target)
    x = np.random.default_rng(INPUT_SEED).integers(-128, 128, result.manifest["input"]["shape"], dtype=np.int8)
    run = cortexm.run(result.out_dir, target, x, profile=profile)
    calls = [layer for layer in result.layers if not layer.call.is_alias]
    return Measurement(model, target, kernels, result.macs, run.instructions,
                       sizes.text + sizes.rodata + sizes.data, sizes.data + sizes.bss + stack.bytes, compile_s,
                       run.output, run.layer_instructions, [l.op.name for l in calls], [l.op.kind for l in calls],
                       [l.call.kernel for l in calls], [l.macs for l in calls])


def network_rows(groups: list[dict[str, Measurement]]) -> list[list[str]]:
    rows = []
    for group in groups:
        portable, cmsis = group["portable"], group["cmsis-nn"]
        for kernels in FAMILIES:
            m = group[kernels]
            same = "" if m is portable else ("yes" if np.array_equal(m.output, portable.output) else "NO")
            rows.append([m.model, m.target, m.kernels, f"{m.macs:,}", f"{m.instructions:,}",
                         f"{m.macs_per_instruction:.3f}", f"{cmsis.instructions / m.instructions:.2f}x",
                         f"{m.flash:,}", f"{m.ram:,}", f"{m.compile_s:.2f}", same])
    return rows


def layer_rows(group: dict[str, Measurement]) -> list[list[str]]:
    p, o, c = (group[k] for k in FAMILIES)
    rows = []
    for i, name in enumerate(p.layer_names):
        macs = p.layer_macs[i]
        counts = [m.layer_instructions[i] for m in (p, o, c)]
        fallback = "" if c.layer_kernels[i].startswith("mnc_cmsis_") else " (mnc)"
        rows.append([f"{i} {name}", p.layer_kinds[i], f"{macs:,}",
                     *(cell for n in counts for cell in (f"{n:,}", _ratio(macs, n))),
                     f"{counts[2] / counts[1]:.2f}x" if counts[1] else "", fallback.strip()])
    totals = [sum(m.layer_instructions) for m in (p, o, c)]
    rows.append(["total", "", f"{p.macs:,}", *(cell for n in totals for cell in (f"{n:,}", _ratio(p.macs, n))),
                 f"{totals[2] / totals[1]:.2f}x", ""])
    return rows


def _ratio(macs: int, instructions: int) -> str:
    return f"{macs / instructions:.3f}" if macs and instructions else "-"


NETWORK_HEADERS = ["model", "target", "kernels", "MACs", "instructions", "MACs/instr", "vs CMSIS-NN",
                   "flash B", "RAM B", "compile s", "same output"]
LAYER_HEADERS = ["layer", "op", "MACs", "portable", "MAC/i", "mnc optimized", "MAC/i", "CMSIS-NN", "MAC/i",
                 "mnc vs CMSIS-NN", "CMSIS-NN build"]


def _layer_pairs(spec: list[str], models: list[str], targets: list[str]) -> list[tuple[str, str]]:
    if spec == ["all"]:
        return [(m, t) for m in models for t in targets]
    if spec == ["none"]:
        return []
    return [tuple(s.split("@", 1)) for s in spec]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), help="built-in variants, or 'vww'")
    parser.add_argument("--targets", nargs="+", default=list(TARGETS))
    parser.add_argument("--layers", nargs="+", default=["vww@cortex-m3", "vww@cortex-m7", "vww@cortex-m55"],
                        help="per-layer profiles: 'all', 'none' or MODEL@TARGET ... "
                             "[vww@cortex-m3 vww@cortex-m7 vww@cortex-m55]")
    parser.add_argument("--cmsis-nn", type=Path, default=None, help="CMSIS-NN tree [../shared/third_party/CMSIS-NN]")
    args = parser.parse_args(argv)
    quiet_warnings()

    with tempfile.TemporaryDirectory(prefix="mnc-bench-net-") as tmp:
        work = Path(tmp)
        groups, skipped = [], []
        for m in args.models:
            for t in args.targets:
                try:
                    groups.append({k: measure(m, t, k, work, cmsis_nn=args.cmsis_nn) for k in FAMILIES})
                except FitError as exc:   # e.g. a model whose weights exceed the core's default flash budget
                    skipped.append(f"{m} on {t}: not measured, {exc}")
        emit(table(NETWORK_HEADERS, network_rows(groups), left=3,
                   title=f"Whole network, one inference at {RESOLUTION}x{RESOLUTION} (QEMU retired instructions; "
                         f"mnc and CMSIS-NN measured in this run)"))
        for line in skipped:
            emit(line)
        for model, target in _layer_pairs(args.layers, args.models, args.targets):
            profiled = {k: measure(model, target, k, work, profile=True, cmsis_nn=args.cmsis_nn) for k in FAMILIES}
            emit()
            emit(table(LAYER_HEADERS, layer_rows(profiled), left=2,
                       title=f"Per layer: {model} on {target} (profiled run; counts include the profiling hooks)"))


if __name__ == "__main__":
    main()
