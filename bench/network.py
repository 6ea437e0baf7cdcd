"""Whole-network cost on emulated Cortex-M CPUs: retired instructions per inference (QEMU,
-icount), MACs per instruction, flash, RAM and compile time, portable C kernels beside the
optimized (DSP/MVE) build, plus a per-layer profile of one configuration.

    .venv/bin/python bench/network.py [--models v1-0.25 v2-0.35 vww] [--targets cortex-m4 ...]
                                      [--profile-model v1-0.25] [--profile-target cortex-m7]

Columns:
  instructions  retired instructions of one mnc_run() (SysTick under `qemu -icount shift=0`); measured
  MACs/instr    the model's MACs / instructions; measured
  CMSIS-NN      instructions quoted from ARCHITECTURE.md (VWW, CMSIS-NN, same QEMU method), not measured here
  flash         .text + .rodata + .data of the package objects (harness excluded)
  RAM           .data + .bss (the arena) + stack estimated from the -fstack-usage call graph (bench/common.py)
  compile       seconds for compile_model to write the C package (Python only, no C compiler)
  same output   the optimized build's output equals the portable build's, byte for byte
Built-in variants (v1-0.25, v2-0.35) are compiled at 96x96 with seeded weights and synthetic
calibration: their instruction counts are representative, their accuracy is not.
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

MODELS = ("v1-0.25", "v2-0.35", "vww")
TARGETS = ("cortex-m4", "cortex-m7", "cortex-m55")
RESOLUTION = 96
INPUT_SEED = 0
# Quoted from ARCHITECTURE.md: CMSIS-NN on the VWW model, measured with this QEMU method elsewhere.
CMSIS_NN_VWW_QUOTED = {"cortex-m4": 24_200_000, "cortex-m7": 24_200_000, "cortex-m55": 6_400_000}


@dataclass(frozen=True)
class Measurement:
    model: str
    target: str
    kernels: str              # "portable" or "optimized"
    macs: int
    instructions: int
    flash: int
    ram: int
    compile_s: float
    output: np.ndarray
    layer_instructions: list[int] | None
    layer_names: list[str]
    layer_kinds: list[str]
    layer_macs: list[int]

    @property
    def macs_per_instruction(self) -> float:
        return self.macs / self.instructions


def source_of(model: str):
    return VWW_INT8 if model == "vww" else model


def measure(model: str, target: str, portable: bool, work: Path, profile: bool = False) -> Measurement:
    from mnc.compiler import compile_model, measure as package_sizes
    from mnc.options import CompileOptions
    from mnc.runners import cortexm

    kernels = "portable" if portable else "optimized"
    options = CompileOptions(target=target, out_dir=work / f"{model}-{target}-{kernels}", build_sizes=False,
                             portable_kernels=portable, resolution=None if model == "vww" else RESOLUTION)
    started = time.perf_counter()
    result = compile_model(source_of(model), options)
    compile_s = time.perf_counter() - started
    sizes = package_sizes(result.out_dir, result.target)
    stack = stack_estimate(result.out_dir, result.target)
    x = np.random.default_rng(INPUT_SEED).integers(-128, 128, result.manifest["input"]["shape"], dtype=np.int8)
    run = cortexm.run(result.out_dir, target, x, profile=profile)
    layers = result.manifest["layers"]
    return Measurement(model, target, kernels, result.macs, run.instructions,
                       sizes.text + sizes.rodata + sizes.data, sizes.data + sizes.bss + stack.bytes, compile_s,
                       run.output, run.layer_instructions, [l["name"] for l in layers], [l["kind"] for l in layers],
                       [l["macs"] for l in layers])


def network_rows(pairs: list[tuple[Measurement, Measurement]]) -> list[list[str]]:
    rows = []
    for portable, optimized in pairs:
        quoted = CMSIS_NN_VWW_QUOTED.get(portable.target) if portable.model == "vww" else None
        for m in (portable, optimized):
            same = "" if m is portable else ("yes" if np.array_equal(m.output, portable.output) else "NO")
            rows.append([m.model, m.target, m.kernels, f"{m.macs:,}", f"{m.instructions:,}",
                         f"{m.macs_per_instruction:.3f}", f"{quoted / 1e6:.1f} M (quoted)" if quoted else "",
                         f"{m.flash:,}", f"{m.ram:,}", f"{m.compile_s:.2f}", same])
    return rows


def layer_rows(portable: Measurement, optimized: Measurement) -> list[list[str]]:
    rows = []
    for i, name in enumerate(portable.layer_names):
        macs, p, o = portable.layer_macs[i], portable.layer_instructions[i], optimized.layer_instructions[i]
        rows.append([f"{i} {name}", portable.layer_kinds[i], f"{macs:,}", f"{p:,}", _ratio(macs, p),
                     f"{o:,}", _ratio(macs, o), f"{p / o:.2f}x" if o else ""])
    tp, to = sum(portable.layer_instructions), sum(optimized.layer_instructions)
    rows.append(["total", "", f"{portable.macs:,}", f"{tp:,}", _ratio(portable.macs, tp), f"{to:,}",
                 _ratio(portable.macs, to), f"{tp / to:.2f}x"])
    return rows


def _ratio(macs: int, instructions: int) -> str:
    return f"{macs / instructions:.3f}" if macs and instructions else "-"


NETWORK_HEADERS = ["model", "target", "kernels", "MACs", "instructions", "MACs/instr", "CMSIS-NN",
                   "flash B", "RAM B", "compile s", "same output"]
LAYER_HEADERS = ["layer", "op", "MACs", "portable instr", "MACs/instr", "optimized instr", "MACs/instr", "speed-up"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), help="built-in variants, or 'vww'")
    parser.add_argument("--targets", nargs="+", default=list(TARGETS))
    parser.add_argument("--profile-model", default="v1-0.25")
    parser.add_argument("--profile-target", default="cortex-m7")
    args = parser.parse_args(argv)
    quiet_warnings()

    with tempfile.TemporaryDirectory(prefix="mnc-bench-net-") as tmp:
        work = Path(tmp)
        pairs = [(measure(m, t, True, work), measure(m, t, False, work)) for m in args.models for t in args.targets]
        emit(table(NETWORK_HEADERS, network_rows(pairs), left=3,
                   title=f"Whole network, one inference at {RESOLUTION}x{RESOLUTION} (QEMU retired instructions)"))
        emit()
        profiled = [measure(args.profile_model, args.profile_target, portable, work, profile=True)
                    for portable in (True, False)]
    emit(table(LAYER_HEADERS, layer_rows(*profiled), left=2,
               title=f"Per layer: {args.profile_model} on {args.profile_target} "
                     f"(profiled run; counts include the profiling hooks)"))


if __name__ == "__main__":
    main()
