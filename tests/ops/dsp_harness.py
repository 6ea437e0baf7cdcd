"""Run one lowered kernel (a `KernelCall`) on an emulated Cortex-M under QEMU.

The call is wrapped into a minimal package with the fixed model.h API (input, output and scratch in
one static arena), which mnc.runners.cortexm links with the firmware and runs, as for a model.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from mnc.kernels.call import ConstArray, KernelCall
from mnc.runners import cortexm
from tests.ops.c_harness import COMMON_HEADER, KERNELS_DIR, _array_decl, _c_int


def run_kernel_cortexm(call: KernelCall, x: np.ndarray, out_shape, target: str, work_dir: Path,
                       second: np.ndarray | None = None) -> cortexm.RunResult:
    """Build a one-layer package for `call` in work_dir and run it once on `target`. A kernel with two
    activation inputs (add, mul) gets `second` as its second one, a constant array in model.c."""
    out_dir = Path(work_dir)
    write_package(call, x, tuple(out_shape), out_dir, second)
    return cortexm.run(out_dir, target, np.asarray(x, np.int8))


def write_package(call: KernelCall, x: np.ndarray, out_shape: tuple, out_dir: Path,
                  second: np.ndarray | None = None) -> None:
    kernels = out_dir / "kernels"
    kernels.mkdir(parents=True, exist_ok=True)
    for name in dict.fromkeys([COMMON_HEADER, *call.sources]):
        shutil.copy(KERNELS_DIR / name, kernels / name)
    in_size, out_size = int(x.size), int(np.prod(out_shape))
    out_off = _align16(in_size)
    scratch_off = out_off + _align16(out_size)
    arena = scratch_off + _align16(call.scratch_bytes)
    (out_dir / "model.h").write_text(_model_h(arena, in_size, out_size))
    (out_dir / "model.c").write_text(_model_c(call, arena, out_off, scratch_off, out_size, second))
    manifest = {
        "mnc_version": "test", "model_hash": "test", "target": "test",
        "input": {"shape": list(x.shape), "scale": 1.0, "zero_point": 0},
        "output": {"shape": list(out_shape), "scale": 1.0, "zero_point": 0},
        "arena_bytes": arena,
        "layers": [{"name": "op", "kind": call.kernel, "macs": 0, "source": "test"}],
        "sources": ["model.c", *(f"kernels/{s}" for s in call.sources if s.endswith(".c"))],
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest))


def _align16(n: int) -> int:
    return (n + 15) // 16 * 16


def _model_h(arena: int, in_size: int, out_size: int) -> str:
    return f"""#ifndef MNC_MODEL_H
#define MNC_MODEL_H
#include <stdint.h>
#define MNC_ARENA_SIZE {arena}
#define MNC_INPUT_SIZE {in_size}
#define MNC_OUTPUT_SIZE {out_size}
#define MNC_INPUT_SCALE 1.0f
#define MNC_INPUT_ZERO_POINT 0
#define MNC_OUTPUT_SCALE 1.0f
#define MNC_OUTPUT_ZERO_POINT 0
#define MNC_NUM_LAYERS 1
int8_t *mnc_input(void);
int8_t *mnc_output(void);
void mnc_run(void);
void mnc_invoke(const int8_t *input, int8_t *output);
extern const char *const mnc_layer_names[MNC_NUM_LAYERS];
extern const uint32_t mnc_layer_macs[MNC_NUM_LAYERS];
#endif
"""


def _model_c(call: KernelCall, arena: int, out_off: int, scratch_off: int, out_size: int,
             second: np.ndarray | None) -> str:
    lines = ['#include <string.h>', '#include "model.h"',
             *(f'#include "{s}"' for s in call.sources if s == f"{call.kernel}.h")]
    fields = []
    for key, value in call.params.items():
        if isinstance(value, ConstArray):
            lines.append(_array_decl(f"arr_{key}", value).replace("] = {", "] __attribute__((aligned(16))) = {"))
            fields.append(f"    .{key} = arr_{key},")
        else:
            fields.append(f"    .{key} = {_c_int(value)},")
    args = ["mnc_arena", f"mnc_arena + {out_off}"]
    if second is not None:
        lines.append(_array_decl("second", ConstArray("second", "int8_t", np.asarray(second, np.int8).reshape(-1))))
        args.insert(1, "second")
    if call.scratch_bytes > 0:
        args.append(f"mnc_arena + {scratch_off}")
    lines += [f"static const {call.params_type} params = {{", *fields, "};",
              f"static int8_t mnc_arena[{arena}] __attribute__((aligned(16)));",
              'const char *const mnc_layer_names[MNC_NUM_LAYERS] = {"op"};',
              "const uint32_t mnc_layer_macs[MNC_NUM_LAYERS] = {0u};",
              "int8_t *mnc_input(void) { return mnc_arena; }",
              f"int8_t *mnc_output(void) {{ return mnc_arena + {out_off}; }}",
              f"void mnc_run(void) {{ {call.kernel}(&params, {', '.join(args)}); }}",
              "void mnc_invoke(const int8_t *input, int8_t *output)",
              "{", "    memcpy(mnc_input(), input, MNC_INPUT_SIZE);", "    mnc_run();",
              f"    memcpy(output, mnc_output(), {out_size});", "}"]
    return "\n".join(lines) + "\n"
