"""Generated packages of the test models run clean under UBSan + ASan on random and extreme inputs, and
the sanitized build computes the same bytes as the int8 reference interpreter."""

from __future__ import annotations

import numpy as np
import pytest

from mnc.compiler import compile_model
from mnc.interpreter import run_single
from mnc.options import CompileOptions
from tests.conftest import VWW_INT8, need_tool
from tests.hostile.models import tflite_bytes
from tests.hostile.sanitized import build_sanitized, extreme_inputs, run_sanitized

MODELS = ["v1-0.25-32", "v2-0.35-32", "v3s-0.75-32", "vww", "hostile-base"]


def _source(name: str, tmp_path):
    if name == "vww":
        return VWW_INT8
    if name == "hostile-base":
        path = tmp_path / "base.tflite"
        path.write_bytes(tflite_bytes())
        return path
    return name


@pytest.mark.slow
@pytest.mark.parametrize("model", MODELS)
def test_package_is_clean_under_ubsan_and_asan(model, tmp_path, shared_models):
    need_tool("gcc")
    result = compile_model(_source(model, tmp_path), CompileOptions(out_dir=tmp_path / "pkg", classes=None))
    exe = build_sanitized(result.out_dir)
    shape = result.manifest["input"]["shape"]
    for label, x in extreme_inputs(shape).items():
        got = run_sanitized(exe, x, tmp_path)
        want = run_single(result.graph, x, mode="int8").reshape(-1)
        np.testing.assert_array_equal(got, want, err_msg=f"{model}, {label} input")
