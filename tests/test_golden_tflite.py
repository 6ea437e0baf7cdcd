"""Golden end-to-end: generated C (host gcc) against TFLite's reference kernels (LiteRT BUILTIN_REF)
and TFLite Micro, byte for byte, on the real VWW model and on int8 MobileNet V2/V3-style models."""

from __future__ import annotations

import numpy as np
import pytest

from mnc.compiler import compile_model
from mnc.frontends.builtin import build_variant
from mnc.frontends.tflite.exporter import export_tflite
from mnc.oracles import run_litert, run_tflm
from mnc.options import CompileOptions
from mnc.data import synthetic_inputs
from mnc.passes.pipeline import run_pipeline
from mnc.runners import host
from tests.conftest import VWW_INT8, need_tool
from tests.frontends.test_tflite import Int8Builder, _mobilenet_v3_block
from tests.test_oracles import vww_image

pytestmark = pytest.mark.slow
RANDOM_INPUTS = 20


def _assert_c_equals_oracles(out_dir, model, x, litert_too: bool = True) -> None:
    got = host.run(out_dir, x)
    tflm = run_tflm(model, x)
    bad = np.flatnonzero(got.ravel() != tflm.ravel())
    assert bad.size == 0, f"C differs from TFLite Micro at {bad[:8]}: {got.ravel()[bad[:8]]} vs {tflm.ravel()[bad[:8]]}"
    if litert_too:
        litert = run_litert(model, x)
        assert np.array_equal(got.ravel(), litert.ravel()), "C differs from LiteRT reference kernels"


@pytest.fixture(scope="module")
def vww_package(tmp_path_factory, shared_models):
    need_tool("gcc")
    return compile_model(VWW_INT8, CompileOptions(out_dir=tmp_path_factory.mktemp("vww") / "pkg")).out_dir


@pytest.mark.parametrize("image", ["person.bmp", "no_person.bmp"])
def test_vww_images(vww_package, image):
    _assert_c_equals_oracles(vww_package, VWW_INT8, vww_image(image))


def test_vww_random_inputs(vww_package):
    rng = np.random.default_rng(2026)
    for _ in range(RANDOM_INPUTS):
        _assert_c_equals_oracles(vww_package, VWW_INT8, rng.integers(-128, 128, (1, 96, 96, 3), dtype=np.int8))


def test_mobilenet_v2_residual_model(tmp_path):
    """The built-in v2-0.35 (residual ADDs), quantized by mnc, exported as .tflite, compiled back from it."""
    need_tool("gcc")
    graph = run_pipeline(build_variant("v2-0.35", resolution=64, classes=10))
    model = tmp_path / "v2.tflite"
    model.write_bytes(export_tflite(graph))
    out_dir = compile_model(model, CompileOptions(out_dir=tmp_path / "pkg")).out_dir
    qin = graph.tensor(graph.inputs[0]).quant
    for x in synthetic_inputs((1, 64, 64, 3), 3, seed=5):
        _assert_c_equals_oracles(out_dir, model, qin.quantize(x))


def test_mobilenet_v3_block_model(tmp_path):
    """Hard-swish, squeeze-excite (MEAN, LOGISTIC, MUL), softmax head. LiteRT computes MUL's multiplier
    in float32 and TFLite Micro in double, so they can disagree on rounding ties; mnc follows TFLite Micro."""
    need_tool("gcc")
    b = Int8Builder((1, 12, 12, 8), scale=0.04, zero_point=-3, seed=11)
    model = tmp_path / "v3block.tflite"
    model.write_bytes(export_tflite(b.done(_mobilenet_v3_block(b))))
    out_dir = compile_model(model, CompileOptions(out_dir=tmp_path / "pkg")).out_dir
    for seed in range(5):
        x = np.random.default_rng(seed).integers(-128, 128, (1, 12, 12, 8), dtype=np.int8)
        _assert_c_equals_oracles(out_dir, model, x, litert_too=False)
