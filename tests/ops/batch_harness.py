"""Run many lowered kernel calls in ONE package: one build per target instead of one per case.

Each case is (KernelCall, its input arrays, its output shape). The package's input is every case's
inputs laid one after the other (16-byte aligned), its output every case's output; `mnc_run` calls the
kernels in order, all sharing one scratch area. Kernel files are looked up in templates/kernels,
templates/cmsis_nn and, for CMSIS-NN glue, the CMSIS-NN files the calls need on the target core
(mnc.compiler.vendor_files). The package runs on the host (mnc.runners.host) or under QEMU
(mnc.runners.cortexm) like any model, and `split` cuts the flat output back into the cases' outputs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnc.codegen.context import COMMON_HEADER, Layer
from mnc.codegen.emit import CMSIS_GLUE_DIR, KERNELS_DIR, copy_kernels
from mnc.kernels.call import ConstArray, KernelCall
from tests.ops.c_harness import _array_decl, _c_int
from tests.ops.dsp_harness import _model_h


@dataclass(frozen=True)
class Case:
    call: KernelCall
    inputs: list[np.ndarray]
    out_shape: tuple[int, ...]


@dataclass(frozen=True)
class Batch:
    out_dir: Path
    x: np.ndarray                        # the flat package input
    out_slices: list[tuple[int, int]]    # (offset, size) of each case's output in the flat output

    def split(self, flat: np.ndarray, cases: list[Case]) -> list[np.ndarray]:
        flat = np.asarray(flat).reshape(-1)
        return [flat[o:o + n].reshape(c.out_shape) for (o, n), c in zip(self.out_slices, cases)]


def _align16(n: int) -> int:
    return (n + 15) // 16 * 16


def write_batch(cases: list[Case], out_dir: Path, target, cmsis=None) -> Batch:
    from mnc.compiler import vendor_files

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True)
    in_offsets, pos = [], 0
    for case in cases:
        offs = []
        for arr in case.inputs:
            offs.append(pos)
            pos = _align16(pos + arr.size)
        in_offsets.append(offs)
    in_size = pos
    x = np.zeros(in_size, np.int8)
    for case, offs in zip(cases, in_offsets):
        for arr, off in zip(case.inputs, offs):
            x[off:off + arr.size] = np.asarray(arr, np.int8).reshape(-1)
    out_base, out_slices, pos = in_size, [], 0
    for case in cases:
        n = int(np.prod(case.out_shape))
        out_slices.append((pos, n))
        pos = _align16(pos + n)
    out_size = pos
    scratch_off = out_base + out_size
    arena = scratch_off + _align16(max(c.call.scratch_bytes for c in cases))

    layers = [Layer(None, c.call, 0) for c in cases]
    extra, dirs = vendor_files(cmsis, layers, target)
    sources = sorted({COMMON_HEADER, *(s for c in cases for s in c.call.sources), *extra})
    copy_kernels(out_dir / "kernels", tuple(sources), (KERNELS_DIR, CMSIS_GLUE_DIR, *dirs))
    (out_dir / "model.h").write_text(_model_h(arena, in_size, out_size))
    (out_dir / "model.c").write_text(_model_c(cases, in_offsets, out_base, out_slices, scratch_off, arena, out_size))
    manifest = {
        "mnc_version": "test", "model_hash": "test", "target": "test",
        "input": {"shape": [in_size], "scale": 1.0, "zero_point": 0},
        "output": {"shape": [out_size], "scale": 1.0, "zero_point": 0},
        "arena_bytes": arena,
        "layers": [{"name": f"case{i}", "kind": c.call.kernel, "macs": 0, "source": "test"} for i, c in enumerate(cases)],
        "sources": ["model.c", *(f"kernels/{s}" for s in sources if s.endswith(".c"))],
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest))
    return Batch(out_dir, x, out_slices)


def _model_c(cases, in_offsets, out_base, out_slices, scratch_off, arena, out_size) -> str:
    headers = sorted({s for c in cases for s in c.call.sources if s == f"{c.call.kernel}.h"})
    lines = ['#include <string.h>', '#include "model.h"', *(f'#include "kernels/{h}"' for h in headers)]
    lines.append(f"static int8_t mnc_arena[{arena}] __attribute__((aligned(16)));")
    calls = []
    for i, (case, offs, (o_off, _)) in enumerate(zip(cases, in_offsets, out_slices)):
        fields = []
        for key, value in case.call.params.items():
            if isinstance(value, ConstArray):
                decl = _array_decl(f"c{i}_{key}", value).replace("] = {", "] __attribute__((aligned(16))) = {")
                lines.append(decl)
                fields.append(f"    .{key} = c{i}_{key},")
            else:
                fields.append(f"    .{key} = {_c_int(value)},")
        lines += [f"static const {case.call.params_type} c{i}_params = {{", *fields, "};"]
        args = [f"mnc_arena + {off}" for off in offs] + [f"mnc_arena + {out_base + o_off}"]
        if case.call.scratch_bytes > 0:
            args.append(f"mnc_arena + {scratch_off}")
        calls.append(f"    {case.call.kernel}(&c{i}_params, {', '.join(args)});")
    lines += [f'const char *const mnc_layer_names[MNC_NUM_LAYERS] = {{"batch"}};',
              "const uint32_t mnc_layer_macs[MNC_NUM_LAYERS] = {0u};",
              "int8_t *mnc_input(void) { return mnc_arena; }",
              f"int8_t *mnc_output(void) {{ return mnc_arena + {out_base}; }}",
              "void mnc_run(void)", "{", *calls, "}",
              "void mnc_invoke(const int8_t *input, int8_t *output)",
              "{", "    memcpy(mnc_input(), input, MNC_INPUT_SIZE);", "    mnc_run();",
              f"    memcpy(output, mnc_output(), {out_size});", "}"]
    return "\n".join(lines) + "\n"
