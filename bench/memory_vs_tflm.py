"""RAM and flash of mnc's package for the VWW model on Cortex-M7, next to TFLite Micro's arena.

    .venv/bin/python bench/memory_vs_tflm.py [--model M.tflite] [--target cortex-m7]

mnc RAM   = .data + .bss of the package (the arena, scratch included, is the .bss) + stack, where
            the stack is estimated from GCC's -fstack-usage call graph (bench/common.py) and, as a
            cross-check, measured as the high-water mark of one QEMU run (harness included).
mnc flash = .text + .rodata + .data of the package objects (arm-none-eabi-size), harness excluded.
TFLM      = the RecordingMicroAllocator totals printed by tflite_micro's print_allocations() in a
            child process (it prints from C to fd 1). That interpreter is the 64-bit host build, so
            its tail (pointer-sized bookkeeping) is somewhat larger than on a 32-bit Cortex-M; the
            head (tensor data) is the same. TFLM's own code, stack and .bss are not counted.
Targets: mnc RAM <= 56 KiB; mnc flash <= the model's weight bytes + 30 KiB. A benchmark prints
PASS/MISS; it does not assert.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):   # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from bench.common import KIB, VWW_INT8, emit, kib, stack_estimate, table

RAM_TARGET = 56 * KIB
FLASH_MARGIN = 30 * KIB

_TFLM_SNIPPET = """
import sys
from tflite_micro import runtime
data = open(sys.argv[1], "rb").read()
interp = runtime.Interpreter.from_bytes(data, arena_size=8 * 1024 * 1024,
                                        intrepreter_config=runtime.InterpreterConfig.kAllocationRecording)
interp.print_allocations()
"""
_ARENA_LINE = re.compile(r"Arena allocation (total|head|tail) (\d+) bytes")


@dataclass(frozen=True)
class TflmArena:
    total: int
    head: int
    tail: int


def tflm_arena(model: Path) -> TflmArena:
    """Run the recording allocator in a child process and parse what it prints to its C stdout."""
    proc = subprocess.run([sys.executable, "-c", _TFLM_SNIPPET, str(model)], capture_output=True, text=True,
                          timeout=120)
    found = {kind: int(n) for kind, n in _ARENA_LINE.findall(proc.stdout + proc.stderr)}
    if proc.returncode != 0 or set(found) != {"total", "head", "tail"}:
        raise RuntimeError(f"TFLM allocation report not found (exit {proc.returncode}): {proc.stderr.strip()[-300:]}")
    return TflmArena(**found)


def weight_bytes(model: Path) -> int:
    """Bytes of the .tflite's constant tensors (weights and biases): their non-empty buffers."""
    import tflite

    m = tflite.Model.GetRootAs(model.read_bytes(), 0)
    graph = m.Subgraphs(0)
    buffers = {graph.Tensors(i).Buffer() for i in range(graph.TensorsLength())}
    return sum(m.Buffers(b).DataLength() for b in buffers if b > 0)


def measure_mnc(model: Path, target_name: str, work: Path):
    from mnc.compiler import compile_model
    from mnc.options import CompileOptions
    from mnc.runners import cortexm

    result = compile_model(model, CompileOptions(target=target_name, out_dir=work / "pkg"))
    stack = stack_estimate(result.out_dir, result.target)
    x = np.random.default_rng(0).integers(-128, 128, result.manifest["input"]["shape"], dtype=np.int8)
    run = cortexm.run(result.out_dir, target_name, x)
    return result, stack, run


def _bytes_or_na(n: int | None) -> str:
    return f"{n:,}" if n else "n/a"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=VWW_INT8)
    parser.add_argument("--target", default="cortex-m7")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="mnc-bench-mem-") as tmp:
        result, stack, run = measure_mnc(args.model, args.target, Path(tmp))
    tflm = tflm_arena(args.model)
    weights = weight_bytes(args.model)
    sizes = result.sizes
    constants = sum(a.data.nbytes for layer in result.layers for a in layer.call.arrays)
    ram = sizes.data + sizes.bss + stack.bytes
    flash = sizes.text + sizes.rodata + sizes.data

    rows = [
        ["arena (activations + scratch)", f"{result.arena_bytes:,}", f"{tflm.total:,}"],
        ["  TFLM head (tensors) / tail (persistent)", "", f"{tflm.head:,} / {tflm.tail:,}"],
        [".data", f"{sizes.data:,}", ""],
        [".bss (holds the arena)", f"{sizes.bss:,}", ""],
        ["stack, estimated (-fstack-usage call graph)", f"{stack.bytes:,}", ""],
        ["stack, measured high-water in QEMU (incl. harness)", _bytes_or_na(run.stack_bytes), ""],
        ["RAM total = .data + .bss + stack estimate", f"{ram:,}", f">= {tflm.total:,} (arena only)"],
        [".text (code)", f"{sizes.text:,}", ""],
        [".rodata (weights, params, tables)", f"{sizes.rodata:,}", ""],
        ["flash total = .text + .rodata + .data", f"{flash:,}", ""],
        ["model weight bytes (.tflite constant buffers)", f"{weights:,}", f"{weights:,}"],
        ["mnc constants (weights, biases, requant. arrays)", f"{constants:,}", ""],
    ]
    emit(table(["bytes", f"mnc ({args.target})", "TFLite Micro"], rows,
               title=f"Memory: {args.model.name}, mnc package vs TFLite Micro (measured in this run)"))
    emit()
    emit(f"stack chain: {' -> '.join(stack.chain)}"
         + (f"; library calls counted as 0: {', '.join(stack.unknown)}" if stack.unknown else "")
         + ("" if stack.all_static else "; WARNING: a frame on the chain is dynamic"))
    emit(f"RAM:   mnc {kib(ram)} vs TFLM arena {kib(tflm.total)} ({tflm.total / ram:.2f}x); "
         f"target <= {kib(RAM_TARGET)}: {verdict(ram <= RAM_TARGET)}")
    emit(f"flash: mnc {kib(flash)} = weights {kib(weights)} + {kib(flash - weights)}; "
         f"target <= weights + {kib(FLASH_MARGIN)}: {verdict(flash <= weights + FLASH_MARGIN)}")


if __name__ == "__main__":
    main()
