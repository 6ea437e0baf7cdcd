"""Build a generated package with the system gcc and run it on the host.

The executable is cached in OUT/build/host/<hash>/, the hash covering every source, the harness and
the flags, so a rebuilt package or harness never reuses a stale binary.
"""

from __future__ import annotations

import hashlib
import json
import struct
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnc.errors import MncError, ToolchainError
from mnc.layout import checked_c_input
from mnc.resources import data_dir
from mnc.runners.toolchain import STRICT_FLAGS, include_flags, package_sources, run_tool, tool

HARNESS = data_dir("firmware") / "host" / "main.c"
HOST_FLAGS = ("-O2",)
RUN_TIMEOUT_S = 120


@dataclass(frozen=True)
class ProfiledRun:
    output: np.ndarray
    layer_seconds: list[float]


@dataclass(frozen=True)
class DumpedRun:
    output: np.ndarray
    layer_outputs: list[bytes]   # raw output bytes of each emitted layer (manifest order)


def build(out_dir: Path, profile: bool = False, dump: bool = False) -> Path:
    """Compile (if not cached) and return the host executable for the package in `out_dir`.

    `dump` builds the debug variant (-DMNC_DUMP) that writes every layer's output to a third file.
    """
    out_dir = Path(out_dir).resolve()
    sources = [*package_sources(out_dir), HARNESS]
    flags = [*STRICT_FLAGS, *HOST_FLAGS, *(["-DMNC_PROFILE"] if profile else []), *(["-DMNC_DUMP"] if dump else [])]
    exe = out_dir / "build" / "host" / _build_key(out_dir, sources, flags) / "mnc_host"
    if not exe.is_file():
        exe.parent.mkdir(parents=True, exist_ok=True)
        tmp = exe.with_name(exe.name + ".tmp")
        cmd = [tool("gcc"), *flags, *include_flags(out_dir), *map(str, sources), "-o", str(tmp)]
        run_tool(cmd, "building the host executable")
        tmp.replace(exe)   # only a complete binary ever gets the cached name
    return exe


def run(out_dir: Path, x_int8: np.ndarray, profile: bool = False) -> np.ndarray:
    """Run the package once on `x_int8`; returns the int8 output with the model's output shape."""
    return _execute(Path(out_dir), x_int8, profile)[0]


def run_profiled(out_dir: Path, x_int8: np.ndarray) -> ProfiledRun:
    output, stdout = _execute(Path(out_dir), x_int8, profile=True)
    # a row-streamed layer runs as several band calls, each reported: sum them per layer
    seconds: list[float] = [0.0] * len(_manifest(out_dir)["layers"])
    for line in stdout.splitlines():
        if line.startswith("layer "):
            _, index, value = line.split()[:3]
            seconds[int(index)] += float(value)
    return ProfiledRun(output, seconds)


def run_dumped(out_dir: Path, x_int8: np.ndarray) -> DumpedRun:
    """Run the debug build once; returns the output and every layer's output bytes."""
    out_dir = Path(out_dir)
    with tempfile.TemporaryDirectory(prefix="mnc-dump-") as tmp:
        dump_path = Path(tmp) / "layers.bin"
        output, _stdout = _execute(out_dir, x_int8, profile=False, dump_path=dump_path)
        layers = parse_dump(dump_path.read_bytes(), len(_manifest(out_dir)["layers"]))
    return DumpedRun(output, layers)


def parse_dump(data: bytes, num_layers: int) -> list[bytes]:
    """Split the harness's <uint32 layer><uint32 bytes><bytes> records; each layer exactly once, in order."""
    layers, pos = [], 0
    while pos < len(data):
        if pos + 8 > len(data):
            raise ToolchainError("layer dump is truncated")
        index, size = struct.unpack_from("=II", data, pos)
        if index != len(layers) or pos + 8 + size > len(data):
            raise ToolchainError(f"layer dump record {len(layers)} is malformed (layer {index}, {size} bytes)")
        layers.append(data[pos + 8:pos + 8 + size])
        pos += 8 + size
    if len(layers) != num_layers:
        raise ToolchainError(f"layer dump holds {len(layers)} layers, the package has {num_layers}")
    return layers


def _execute(out_dir: Path, x_int8: np.ndarray, profile: bool,
             dump_path: Path | None = None) -> tuple[np.ndarray, str]:
    manifest = _manifest(out_dir)
    x = checked_c_input(x_int8, manifest["input"]["shape"], "host run")
    exe = build(out_dir, profile, dump=dump_path is not None)
    with tempfile.TemporaryDirectory(prefix="mnc-host-") as tmp:
        in_path, out_path = Path(tmp) / "input.bin", Path(tmp) / "output.bin"
        in_path.write_bytes(x.tobytes())
        args = [str(exe), str(in_path), str(out_path), *([str(dump_path)] if dump_path is not None else [])]
        try:
            proc = subprocess.run(args, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise ToolchainError(f"host run timed out after {RUN_TIMEOUT_S} s") from None
        if proc.returncode != 0:
            raise ToolchainError(f"host run failed (exit {proc.returncode}): {proc.stderr.strip()}")
        out = np.frombuffer(out_path.read_bytes(), dtype=np.int8)
    return out.reshape(manifest["output"]["shape"]).copy(), proc.stdout


def _manifest(out_dir: Path) -> dict:
    path = out_dir / "manifest.json"
    if not path.is_file():
        raise MncError(f"{out_dir} is not an mnc package (no manifest.json)")
    return json.loads(path.read_text())


def _build_key(out_dir: Path, sources: list[Path], flags: list[str]) -> str:
    h = hashlib.sha256("\0".join(flags).encode())
    for src in sorted(sources):
        h.update(str(src.relative_to(out_dir) if src.is_relative_to(out_dir) else src.name).encode())
        h.update(src.read_bytes())
    for header in sorted((out_dir / "kernels").glob("*.h")) + [out_dir / "model.h"]:
        h.update(header.name.encode() + header.read_bytes())
    return h.hexdigest()[:16]
