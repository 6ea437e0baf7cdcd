"""add, mul, the unary activations (LUT kernel), softmax, quantize/dequantize: float against numpy,
int8 against TFLite-arithmetic transcriptions or the float math, C kernels bit-exact against Python."""

from __future__ import annotations

import numpy as np
import pytest

from mnc.errors import UnsupportedError
from mnc.kernels.select import lower_call
from mnc.ops.activations import logistic_params
from mnc.ops.elementwise import add_params
from mnc.quant import multiply_by_quantized_multiplier, quantize_multiplier
from tests.ops.c_harness import check_compiles, run_kernel_c
from tests.ops.test_pool_family import _c, _eval, _graph, _rand_int8

RNG_SEED = 99
SHAPE_PAIRS = [((1, 4, 5, 6), (1, 4, 5, 6)), ((1, 4, 5, 6), (1, 1, 1, 6)), ((1, 1, 1, 6), (1, 3, 2, 6)),
               ((1, 6), (1, 6))]
QUANTS = [((0.05, -128), (0.02, 127), (0.06, 0)), ((0.1, 3), (0.1, 3), (0.2, -5)), ((0.01, 127), (0.3, -128), (0.25, -128))]


# ---- add / mul ----------------------------------------------------------------------------------

def _naive_add(a, b, qa, qb, qo):
    p = add_params(float(np.float32(qa[0])), float(np.float32(qb[0])), float(np.float32(qo[0])))
    sa = multiply_by_quantized_multiplier((a.astype(np.int64) - qa[1]) << 20, p["in0_multiplier"], p["in0_shift"])
    sb = multiply_by_quantized_multiplier((b.astype(np.int64) - qb[1]) << 20, p["in1_multiplier"], p["in1_shift"])
    out = multiply_by_quantized_multiplier(sa + sb, p["output_multiplier"], p["output_shift"]) + qo[1]
    return np.clip(out, -128, 127).astype(np.int8)


def _naive_mul(a, b, qa, qb, qo):
    m, s = quantize_multiplier(float(np.float32(qa[0])) * float(np.float32(qb[0])) / float(np.float32(qo[0])))
    out = multiply_by_quantized_multiplier((a.astype(np.int64) - qa[1]) * (b.astype(np.int64) - qb[1]), m, s) + qo[1]
    return np.clip(out, -128, 127).astype(np.int8)


@pytest.mark.parametrize("kind,naive", [("add", _naive_add), ("mul", _naive_mul)])
@pytest.mark.parametrize("shapes", SHAPE_PAIRS)
@pytest.mark.parametrize("quants", QUANTS)
def test_binary_int8_reference_and_c(kind, naive, shapes, quants):
    rng = np.random.default_rng(RNG_SEED)
    a, b = _rand_int8(rng, shapes[0]), _rand_int8(rng, shapes[1])
    g = _graph(kind, list(shapes), {}, list(quants[:2]), quants[2])
    py = _eval(g, [a, b], "int8")
    np.testing.assert_array_equal(py, naive(*np.broadcast_arrays(a, b), *quants))
    np.testing.assert_array_equal(_c(g, [a, b]), py)


@pytest.mark.parametrize("kind,fn", [("add", np.add), ("mul", np.multiply)])
def test_binary_float_and_fused_relu(kind, fn):
    rng = np.random.default_rng(RNG_SEED)
    a, b = (rng.standard_normal(s).astype(np.float32) for s in SHAPE_PAIRS[1])
    g = _graph(kind, list(SHAPE_PAIRS[1]), {"act": "relu"})
    np.testing.assert_allclose(_eval(g, [a, b], "float"), np.maximum(fn(a, b), 0), rtol=1e-6)
    gq = _graph(kind, list(SHAPE_PAIRS[1]), {"act": "relu6"}, [(0.05, 0), (0.05, 0)], (0.05, -100))
    qa, qb = _rand_int8(rng, a.shape), _rand_int8(rng, b.shape)
    py = _eval(gq, [qa, qb], "int8")
    assert py.min() >= -100 and py.max() <= 20       # relu6 at scale 0.05, zp -100: [zp, zp + 120]
    np.testing.assert_array_equal(_c(gq, [qa, qb]), py)


def test_add_rejects_output_scale_tflite_cannot_represent():
    g = _graph("add", [(1, 4), (1, 4)], {}, [(1.0, 0), (1.0, 0)], (1e-7, 0))
    with pytest.raises(UnsupportedError):
        _eval(g, [np.zeros((1, 4), np.int8)] * 2, "int8")


# ---- unary activations --------------------------------------------------------------------------

FLOAT_FNS = {
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.clip(x, 0, 6),
    "hard_swish": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "hard_sigmoid": lambda x: np.clip(x + 3, 0, 6) / 6,
    "logistic": lambda x: 1 / (1 + np.exp(-x)),
}
UNARY_QUANTS = [((0.05, -128), (0.03, -128)), ((0.02, 127), (0.021, 100)), ((0.5, 20), (0.25, -128))]


def _out_q(kind, out_q):
    return (1 / 256, -128) if kind in ("logistic", "hard_sigmoid") else out_q


@pytest.mark.parametrize("kind", sorted(FLOAT_FNS))
def test_unary_float(kind):
    x = np.linspace(-8, 8, 101, dtype=np.float32).reshape(1, 101)
    g = _graph(kind, [x.shape], {})
    np.testing.assert_allclose(_eval(g, [x], "float"), FLOAT_FNS[kind](x.astype(np.float64)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", sorted(FLOAT_FNS))
@pytest.mark.parametrize("in_q,out_q", UNARY_QUANTS)
def test_unary_int8_tracks_float_and_lut_kernel_is_exact(kind, in_q, out_q):
    out_q = _out_q(kind, out_q)
    x = np.arange(-128, 128, dtype=np.int8).reshape(1, 4, 64)
    g = _graph(kind, [x.shape], {}, [in_q], out_q)
    py = _eval(g, [x], "int8")
    real = FLOAT_FNS[kind]((x.astype(np.float64) - in_q[1]) * np.float32(in_q[0]))
    ideal = np.clip(np.round(real / np.float32(out_q[0])) + out_q[1], -128, 127)
    assert np.abs(py.astype(float) - ideal).max() <= (2 if kind == "hard_swish" else 1)
    call = lower_call(g.op("op"), g, None)
    assert call.kernel == "mnc_lut_s8" and call.params["lut"].data.size == 256
    np.testing.assert_array_equal(_c(g, [x]), py)


def test_logistic_params_follow_tflm_prepare():
    p = logistic_params(0.1)
    # 0.1 * 2^27 = 13421772.8 = 0.8 * 2^24
    assert p["left_shift"] == 24 and p["multiplier"] == round(0.800000011920929 * 2**31)
    assert p["radius"] == 15 * 2**27 // 2**24


def test_hard_swish_saturates_like_tflite():
    g = _graph("hard_swish", [(1, 256)], {}, [(0.1, 0)], (0.05, -100))
    y = _eval(g, [np.arange(-128, 128, dtype=np.int8).reshape(1, 256)], "int8")
    assert y.min() in (-108, -107)                     # minimum of x*relu6(x+3)/6 is -0.375 (7.5 steps)
    assert y[0, 0] == -100                             # x = -12.8: exactly zero
    assert y[0, -1] == 127                             # 12.7 saturates


# ---- softmax ------------------------------------------------------------------------------------

@pytest.mark.parametrize("in_q,beta", [((0.1, -128), 1.0), ((0.05, 10), 1.0), ((0.25, 0), 0.5), ((0.01, 127), 1.0)])
@pytest.mark.parametrize("shape", [(1, 2), (3, 1001)])
def test_softmax_int8_tracks_float_and_c_is_exact(in_q, beta, shape):
    rng = np.random.default_rng(RNG_SEED)
    x = _rand_int8(rng, shape)
    g = _graph("softmax", [shape], {"beta": beta}, [in_q], (1 / 256, -128))
    py = _eval(g, [x], "int8")
    real = beta * (x.astype(np.float64) - in_q[1]) * np.float32(in_q[0])
    e = np.exp(real - real.max(axis=-1, keepdims=True))
    ideal = np.clip(np.round(e / e.sum(axis=-1, keepdims=True) * 256) - 128, -128, 127)
    assert np.abs(py.astype(float) - ideal).max() <= 1
    np.testing.assert_array_equal(_c(g, [x]), py)


def test_softmax_float_rows_sum_to_one():
    x = np.random.default_rng(RNG_SEED).standard_normal((2, 7)).astype(np.float32)
    y = _eval(_graph("softmax", [x.shape], {}), [x], "float")
    np.testing.assert_allclose(y.sum(axis=-1), 1.0, rtol=1e-6)


# ---- quantize / dequantize ----------------------------------------------------------------------

def test_quantize_float_rounds_half_away_and_saturates():
    g = _graph("quantize", [(1, 6)], {}, [(1.0, 0)], (0.5, -1))
    g.tensor("x0").dtype, g.tensor("x0").quant = "float32", None
    x = np.array([[0.25, -0.25, 0.75, 100.0, -100.0, 0.0]], dtype=np.float32)
    np.testing.assert_array_equal(_eval(g, [x], "int8"), [[0, -2, 1, 127, -128, -1]])
    with pytest.raises(UnsupportedError):
        lower_call(g.op("op"), g, None)


@pytest.mark.parametrize("in_q,out_q", [((0.05, -128), (0.02, 127)), ((0.1, 3), (0.3, -7)), ((0.2, 0), (0.2, 0))])
def test_requantize_int8_reference_and_c(in_q, out_q):
    x = np.arange(-128, 128, dtype=np.int8).reshape(1, 256)
    g = _graph("quantize", [x.shape], {}, [in_q], out_q)
    py = _eval(g, [x], "int8")
    m, s = quantize_multiplier(float(np.float32(in_q[0])) / float(np.float32(out_q[0])))
    expect = np.clip(multiply_by_quantized_multiplier(x.astype(np.int64) - in_q[1], m, s) + out_q[1], -128, 127)
    np.testing.assert_array_equal(py, expect)
    call = lower_call(g.op("op"), g, None)
    if in_q == out_q:
        assert call.is_alias
    else:
        np.testing.assert_array_equal(_c(g, [x]), py)


def test_dequantize():
    g = _graph("dequantize", [(1, 3)], {}, [(0.5, 2)], (1.0, 0))
    y = _eval(g, [np.array([[2, 4, -128]], dtype=np.int8)], "int8")
    np.testing.assert_array_equal(y, np.array([[0.0, 1.0, -65.0]], dtype=np.float32))


def test_kernels_cross_compile_for_cortex_m():
    kernels = ("add", "mul", "lut", "softmax")
    check_compiles([f"mnc_{k}_s8.{ext}" for k in kernels for ext in ("c", "h")])
