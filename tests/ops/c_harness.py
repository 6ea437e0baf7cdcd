"""Run one lowered kernel (a `KernelCall`) as a tiny C program and read its output back.

Used by op tests to prove a C kernel bit-exact against the op's Python int8 reference:

    call = lower_call(op, graph, target)
    got = run_kernel_c(call, [x_int8], out_shape)

The generated `main.c` holds the params struct as a `static const` initializer (ConstArrays become
`static const` arrays it points to), reads each input from a binary file into a static buffer,
calls the kernel once and writes the output to a file. It is compiled together with the kernel
sources with `gcc -std=c99 -Wall -Wextra -Werror -O2`, by default also with UBSan so signed
overflow or out-of-range shifts in a kernel fail the test instead of passing by luck.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from mnc.kernels.call import CTYPES, ConstArray, KernelCall

KERNELS_DIR = Path(__file__).resolve().parents[2] / "templates" / "kernels"
COMMON_HEADER = "mnc_common.h"
CFLAGS = ("-std=c99", "-Wall", "-Wextra", "-Werror", "-O2")
UBSAN_FLAGS = ("-fsanitize=undefined", "-fno-sanitize-recover=all")
CROSS_FLAGS = ("-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", "-mcpu=cortex-m7", "-mthumb")

_NP_TO_CTYPE = {np.dtype(v): k for k, v in CTYPES.items()}


def run_kernel_c(call: KernelCall, inputs: list[np.ndarray], out_shape, out_dtype: str = "int8",
                 sanitize: bool = True) -> np.ndarray:
    """Compile and run `call` on `inputs` (one array per kernel input, in order); return the output."""
    out_np = np.dtype(out_dtype)
    out_size = int(np.prod(out_shape, dtype=np.int64))
    with tempfile.TemporaryDirectory(prefix="mnc_kernel_") as tmp:
        tmp_dir = Path(tmp)
        sources = _copy_sources(call.sources, tmp_dir)
        (tmp_dir / "main.c").write_text(_main_source(call, inputs, out_size, _NP_TO_CTYPE[out_np]))
        exe = _compile(tmp_dir, ["main.c", *sources], sanitize)
        in_files = []
        for i, arr in enumerate(inputs):
            path = tmp_dir / f"in{i}.bin"
            np.ascontiguousarray(arr).tofile(path)
            in_files.append(str(path))
        out_file = tmp_dir / "out.bin"
        proc = subprocess.run([str(exe), *in_files, str(out_file)], capture_output=True, text=True)
        if proc.returncode != 0:
            raise AssertionError(f"kernel program failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
        return np.fromfile(out_file, dtype=out_np).reshape(out_shape)


def check_compiles(sources: list[str], cc: str = "arm-none-eabi-gcc", flags=CROSS_FLAGS) -> None:
    """Compile (no link) kernel files under templates/kernels with `cc`; raise with the log on failure."""
    with tempfile.TemporaryDirectory(prefix="mnc_kernel_cc_") as tmp:
        tmp_dir = Path(tmp)
        copied = _copy_sources(sources, tmp_dir)
        for src in (s for s in copied if s.endswith(".c")):
            cmd = [cc, *flags, "-I", str(tmp_dir), "-c", src, "-o", f"{Path(src).stem}.o"]
            proc = subprocess.run(cmd, cwd=tmp_dir, capture_output=True, text=True)
            if proc.returncode != 0:
                raise AssertionError(f"{cc} failed on {Path(src).name}:\n{proc.stderr}")


# ---- internals -----------------------------------------------------------------------------

def _copy_sources(sources: list[str], dst: Path) -> list[str]:
    """Copy the kernel files (plus mnc_common.h) into dst; return the .c files' names."""
    names = dict.fromkeys([COMMON_HEADER, *sources])
    for name in names:
        shutil.copy(KERNELS_DIR / name, dst / name)
    return [n for n in names if n.endswith(".c")]


def _compile(tmp_dir: Path, c_files: list[str], sanitize: bool) -> Path:
    exe = tmp_dir / "kernel_test"
    flags = [*CFLAGS, *(UBSAN_FLAGS if sanitize else ())]
    proc = subprocess.run(["gcc", *flags, "-I", str(tmp_dir), *c_files, "-o", str(exe)],
                          cwd=tmp_dir, capture_output=True, text=True)
    if proc.returncode != 0:
        raise AssertionError(f"gcc failed:\n{proc.stderr}")
    return exe


def _c_int(v: int) -> str:
    v = int(v)
    if v == -(2**31):
        return "(-2147483647 - 1)"  # the literal 2147483648 does not fit int
    return str(v)


def _array_decl(name: str, arr: ConstArray) -> str:
    values = ", ".join(_c_int(v) for v in arr.data.tolist()) or "0"
    return f"static const {arr.ctype} {name}[{max(arr.data.size, 1)}] = {{{values}}};"


def _main_source(call: KernelCall, inputs: list[np.ndarray], out_size: int, out_ctype: str) -> str:
    headers = [s for s in call.sources if s.endswith(".h")]
    lines = ["#include <stdio.h>", "#include <stdlib.h>", "#include <stdint.h>"]
    lines += [f'#include "{h}"' for h in headers]
    fields = []
    for key, value in call.params.items():
        if isinstance(value, ConstArray):
            lines.append(_array_decl(f"arr_{key}", value))
            fields.append(f"    .{key} = arr_{key},")
        else:
            fields.append(f"    .{key} = {_c_int(value)},")
    lines += [f"static const {call.params_type} params = {{", *fields, "};"]
    args = []
    for i, arr in enumerate(inputs):
        ctype = _NP_TO_CTYPE[np.asarray(arr).dtype]
        lines.append(f"static {ctype} in{i}[{max(arr.size, 1)}] __attribute__((aligned(8)));")
        args.append(f"in{i}")
    lines.append(f"static {out_ctype} out0[{max(out_size, 1)}] __attribute__((aligned(8)));")
    args.append("out0")
    if call.scratch_bytes > 0:
        lines.append(f"static int8_t scratch[{call.scratch_bytes}] __attribute__((aligned(8)));")
        args.append("scratch")
    lines += [_READ_WRITE_HELPERS, "int main(int argc, char **argv)", "{",
              f"    if (argc != {len(inputs) + 2}) return 2;"]
    for i, arr in enumerate(inputs):
        lines.append(f"    if (!read_file(argv[{i + 1}], in{i}, sizeof(in{i}[0]) * {arr.size})) return 3;")
    lines.append(f"    {call.kernel}(&params, {', '.join(args)});")
    lines.append(f"    return write_file(argv[{len(inputs) + 1}], out0, sizeof(out0[0]) * {out_size}) ? 0 : 4;")
    lines.append("}")
    return "\n".join(lines) + "\n"


_READ_WRITE_HELPERS = r"""
static int read_file(const char *path, void *dst, size_t n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t got = fread(dst, 1, n, f);
    fclose(f);
    return got == n;
}

static int write_file(const char *path, const void *src, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    size_t put = fwrite(src, 1, n, f);
    fclose(f);
    return put == n;
}
"""
