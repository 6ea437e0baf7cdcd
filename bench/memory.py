"""RAM below the one-layer floor: the plain plan against the chosen (row-streamed) plan, per model.

    .venv/bin/python bench/memory.py [--models vww v1-0.25 ...] [--target cortex-m7]

For each model, one quantized graph is compiled twice for the target: the plain schedule (one call
per layer on whole tensors) and schedule "auto" (mnc.memory.choose: row-streamed segments where they
lower the arena, modelled overhead <= 10%). Both packages are built and run once under QEMU on the same
random input; the table shows

  arena      MNC_ARENA_SIZE (activations, windows, scratch)
  RAM        .data + .bss of the package (the arena is the .bss) + the stack estimate (bench/common.py)
  instr.     retired instructions of one inference (qemu -icount shift=0; deterministic)
  equal      the two packages' outputs are byte-identical
  TFLM       TFLite Micro's arena from its recording allocator (.tflite models only), same run

The packages are compiled for the emulated machine (4 MiB code, 4 MiB data), so the 224x224 models run
even where the target's own RAM/flash budget (targets/*.toml) would refuse them; that budget check is
the only stage skipped. Targets (issue 10) are printed as PASS/MISS; the script never asserts.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

if __package__ in (None, ""):   # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from bench.common import KIB, VWW_INT8, emit, kib, quiet_warnings, stack_estimate, table

MODELS = ["vww", "v1-0.25-96", "v2-0.35-96", "v3s-0.75-96", "v1-1.0-224", "v2-1.0-224"]
ARENA_TARGETS = {"vww": 40 * KIB, "v2-0.35-96": 48 * KIB, "v2-1.0-224": 320 * KIB}
RAM_TARGETS = {"vww": 42 * KIB}
MAX_EXTRA_INSTRUCTIONS = 0.10
QEMU_TIMEOUT_S = 1800


@dataclass(frozen=True)
class Measured:
    arena: int
    ram: int
    stack: int
    instructions: int
    output: np.ndarray
    segments: int


def source_of(model: str):
    return VWW_INT8 if model == "vww" else model


def measure(model: str, target_name: str, work: Path) -> tuple[Measured, Measured]:
    """(plain, chosen) for one model: one graph, two plans, two packages, two QEMU runs."""
    from mnc import compiler
    from mnc.options import CompileOptions
    from mnc.targets import load_target

    options = CompileOptions(target=target_name)
    target = load_target(target_name)
    graph, _ = compiler.load_source(source_of(model), options)
    qgraph = compiler.optimize_and_quantize(compiler.checked(graph), options)
    layers = compiler.lower(qgraph, target)
    x = None
    results = []
    for schedule in ("plain", "auto"):
        plan = compiler.plan_arena(qgraph, layers, replace(options, schedule=schedule))
        out_dir = work / f"{model}-{schedule}"
        manifest = compiler.emit(out_dir, qgraph, layers, plan, target)
        if x is None:
            x = np.random.default_rng(0).integers(-128, 128, manifest["input"]["shape"], dtype=np.int8)
        results.append(_run(out_dir, target, x, plan, work / f"fw-{model}-{schedule}"))
    return results[0], results[1]


def _run(out_dir: Path, target, x: np.ndarray, plan, fw_dir: Path) -> Measured:
    from mnc.compiler import measure as package_sizes
    from mnc.runners import cortexm

    sizes = package_sizes(out_dir, target)
    stack = stack_estimate(out_dir, target)
    run = cortexm.run_firmware(cortexm.build(out_dir, target.name, x, fw_dir), QEMU_TIMEOUT_S)
    return Measured(plan.arena_bytes, sizes.data + sizes.bss + stack.bytes, stack.bytes, run.instructions,
                    run.output, len(plan.segments))


def tflm_total(model: str) -> int | None:
    if model != "vww":
        return None
    from bench.memory_vs_tflm import tflm_arena

    return tflm_arena(VWW_INT8).total


def verdicts(model: str, plain: Measured, chosen: Measured) -> list[str]:
    found = []
    if model in ARENA_TARGETS:
        found.append(f"arena <= {kib(ARENA_TARGETS[model])}: {_pass(chosen.arena <= ARENA_TARGETS[model])}")
    if model in RAM_TARGETS:
        found.append(f"RAM <= {kib(RAM_TARGETS[model])}: {_pass(chosen.ram <= RAM_TARGETS[model])}")
    extra = chosen.instructions / plain.instructions - 1
    found.append(f"instructions {extra:+.1%} (<= +10%: {_pass(extra <= MAX_EXTRA_INSTRUCTIONS)})")
    found.append(f"outputs equal: {_pass(np.array_equal(plain.output, chosen.output))}")
    return found


def _pass(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=MODELS)
    parser.add_argument("--target", default="cortex-m7")
    args = parser.parse_args(argv)
    quiet_warnings()
    rows, notes = [], []
    with tempfile.TemporaryDirectory(prefix="mnc-bench-rows-") as tmp:
        for model in args.models:
            plain, chosen = measure(model, args.target, Path(tmp))
            tflm = tflm_total(model)
            rows.append([model, f"{plain.arena:,}", f"{plain.ram:,}", f"{chosen.arena:,}", f"{chosen.ram:,}",
                         str(chosen.segments), f"{tflm:,}" if tflm else "-",
                         f"{plain.instructions:,}", f"{chosen.instructions:,}",
                         f"{chosen.instructions / plain.instructions - 1:+.1%}",
                         "yes" if np.array_equal(plain.output, chosen.output) else "NO"])
            notes.append(f"{model}: " + "; ".join(verdicts(model, plain, chosen)))
    headers = ["model", "plain arena", "plain RAM", "chosen arena", "chosen RAM", "segments", "TFLM arena",
               f"plain instr. ({args.target})", "chosen instr.", "extra", "equal"]
    emit(table(headers, rows, title=f"Arena and RAM (bytes), plain vs chosen plan, {args.target}, one run"))
    emit()
    for note in notes:
        emit(note)


if __name__ == "__main__":
    main()
