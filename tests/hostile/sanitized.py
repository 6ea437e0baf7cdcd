"""Build a generated package for the host with gcc's UndefinedBehaviorSanitizer and AddressSanitizer,
and run it on random and extreme (all -128, all 127) inputs: any report aborts the run."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from mnc.runners.host import HARNESS
from mnc.runners.toolchain import STRICT_FLAGS, include_flags, package_sources

SANITIZE = ("-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=undefined,address", "-fno-sanitize-recover=all")
ENV = {"ASAN_OPTIONS": "detect_leaks=0:abort_on_error=0", "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"}


def build_sanitized(out_dir: Path) -> Path:
    exe = Path(out_dir) / "build" / "sanitized" / "mnc_host"
    exe.parent.mkdir(parents=True, exist_ok=True)
    cmd = ["gcc", *STRICT_FLAGS, *SANITIZE, *include_flags(out_dir), *map(str, package_sources(out_dir)),
           str(HARNESS), "-o", str(exe)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return exe


def extreme_inputs(shape, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"random": rng.integers(-128, 128, shape, dtype=np.int8),
            "all -128": np.full(shape, -128, np.int8),
            "all 127": np.full(shape, 127, np.int8)}


def run_sanitized(exe: Path, x: np.ndarray, work: Path) -> np.ndarray:
    """One run; fails the test on any sanitizer report or non-zero exit."""
    import os

    in_path, out_path = work / "in.bin", work / "out.bin"
    in_path.write_bytes(np.ascontiguousarray(x, np.int8).tobytes())
    proc = subprocess.run([str(exe), str(in_path), str(out_path)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **ENV})
    report = proc.stderr
    assert proc.returncode == 0 and "runtime error" not in report and "Sanitizer" not in report, report[-3000:]
    return np.frombuffer(out_path.read_bytes(), np.int8)
