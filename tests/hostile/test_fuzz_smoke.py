"""A short run of bench/fuzz.py (all three targets side by side, a few seconds each): every target
executes, gains coverage, and finds nothing. The long runs are in bench/ (see bench/README.md)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO


@pytest.mark.slow
def test_fuzz_smoke_run_finds_nothing(tmp_path):
    cmd = [sys.executable, str(REPO / "bench" / "fuzz.py"), "--seconds", "8", "--seed", "14", "--parallel",
           "--targets", "tflite", "onnx", "compile", "--out", str(tmp_path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert [r["target"] for r in summary] == ["tflite", "onnx", "compile"], proc.stdout + proc.stderr
    for r in summary:
        assert r["iterations"] > 0 and r["cov"] > 0, r
        assert r["findings"] == [], json.dumps(r["findings"], indent=1)[:3000]
    assert proc.returncode == 0, proc.stdout
