"""avg_pool2d, max_pool2d, mean, reshape, concat: float against naive loops, int8 against loop
transcriptions of TFLite's reference kernels, and the C kernels bit-exact against Python."""

from __future__ import annotations

import numpy as np
import pytest

from mnc.errors import UnsupportedError
from mnc.ir import Graph, QuantParams, Tensor
from mnc.kernels.select import lower_call
from mnc.ops import get_op
from mnc.ops.mean import mean_int8_integer_ops
from tests.ops.c_harness import check_compiles, run_kernel_c

RNG_SEED = 1234


def _graph(kind, in_shapes, attrs, in_q=None, out_q=None):
    """One-op graph; in_q/out_q are (scale, zp) pairs (in_q a list, one per input) for int8."""
    g = Graph(kind)
    dtype = "int8" if out_q else "float32"
    names = [f"x{i}" for i in range(len(in_shapes))]
    for i, (name, shape) in enumerate(zip(names, in_shapes)):
        q = QuantParams.per_tensor(*in_q[i]) if in_q else None
        g.add_tensor(Tensor(name, shape, dtype, quant=q))
    from mnc.ir import Op

    out_shape = get_op(kind).infer(Op("probe", kind, names, ["y"], attrs), g)[0][0]
    g.add_tensor(Tensor("y", out_shape, dtype, quant=QuantParams.per_tensor(*out_q) if out_q else None))
    g.inputs, g.outputs = names, ["y"]
    g.add_op(kind, names, ["y"], attrs, name="op")
    return g


def _eval(g, xs, mode):
    op = g.op("op")
    fn = get_op(op.kind).eval_float if mode == "float" else get_op(op.kind).eval_int8
    return fn(op, g, xs)[0]


def _c(g, xs):
    op = g.op("op")
    call = lower_call(op, g, None)
    return run_kernel_c(call, xs, g.tensor("y").shape)


def _rand_int8(rng, shape):
    return rng.integers(-128, 128, size=shape, dtype=np.int8)


# ---- pooling ------------------------------------------------------------------------------------

def _naive_pool(x, k, s, pad, reduce):
    """Loop transcription of TFLite's pooling: windows clipped to the input, padding never read."""
    _, h, w, c = x.shape
    oh = (h + pad[0] + pad[1] - k[0]) // s[0] + 1
    ow = (w + pad[2] + pad[3] - k[1]) // s[1] + 1
    out = np.zeros((1, oh, ow, c), dtype=object)
    for oy in range(oh):
        for ox in range(ow):
            for ch in range(c):
                vals = [x[0, y, xx, ch] for y in range(oy * s[0] - pad[0], oy * s[0] - pad[0] + k[0])
                        for xx in range(ox * s[1] - pad[2], ox * s[1] - pad[2] + k[1]) if 0 <= y < h and 0 <= xx < w]
                out[0, oy, ox, ch] = reduce(vals)
    return out


def _avg_int8(vals):
    acc, n = int(sum(int(v) for v in vals)), len(vals)
    return int((acc + n // 2) / n) if acc > 0 else -int((-acc + n // 2) / n)


POOL_CASES = [  # kernel, stride, pad, shape
    ((2, 2), (2, 2), (0, 0, 0, 0), (1, 6, 6, 3)),
    ((3, 3), (2, 2), (1, 1, 1, 1), (1, 7, 5, 4)),
    ((3, 3), (1, 1), (0, 1, 0, 1), (1, 5, 5, 2)),   # SAME with the extra pad at the end
    ((6, 6), (1, 1), (0, 0, 0, 0), (1, 6, 6, 8)),   # global
]


@pytest.mark.parametrize("kernel,stride,pad,shape", POOL_CASES)
def test_pool_float_matches_naive(kernel, stride, pad, shape):
    rng = np.random.default_rng(RNG_SEED)
    x = rng.standard_normal(shape).astype(np.float32)
    attrs = {"kernel": kernel, "stride": stride, "pad": pad}
    avg = _eval(_graph("avg_pool2d", [shape], attrs), [x], "float")
    mx = _eval(_graph("max_pool2d", [shape], attrs), [x], "float")
    np.testing.assert_allclose(avg, _naive_pool(x, kernel, stride, pad, np.mean).astype(np.float32), rtol=1e-5)
    np.testing.assert_array_equal(mx, _naive_pool(x, kernel, stride, pad, max).astype(np.float32))


@pytest.mark.parametrize("kernel,stride,pad,shape", POOL_CASES)
@pytest.mark.parametrize("zp", [-128, 127])
def test_pool_int8_reference_and_c(kernel, stride, pad, shape, zp):
    rng = np.random.default_rng(RNG_SEED + zp)
    x = _rand_int8(rng, shape)
    attrs = {"kernel": kernel, "stride": stride, "pad": pad}
    for kind, reduce in (("avg_pool2d", _avg_int8), ("max_pool2d", max)):
        g = _graph(kind, [shape], attrs, [(0.05, zp)], (0.05, zp))
        py = _eval(g, [x], "int8")
        np.testing.assert_array_equal(py, _naive_pool(x, kernel, stride, pad, reduce).astype(np.int8))
        np.testing.assert_array_equal(_c(g, [x]), py)


def test_pool_fused_relu6_clamps_int8():
    rng = np.random.default_rng(RNG_SEED)
    x = _rand_int8(rng, (1, 4, 4, 3))
    attrs = {"kernel": (2, 2), "stride": (2, 2), "pad": (0, 0, 0, 0), "act": "relu6"}
    g = _graph("avg_pool2d", [x.shape], attrs, [(0.1, -10)], (0.1, -10))
    py = _eval(g, [x], "int8")
    assert py.min() >= -10 and py.max() <= 50
    np.testing.assert_array_equal(_c(g, [x]), py)


def test_pool_macs_count_window_adds():
    g = _graph("avg_pool2d", [(1, 6, 6, 4)], {"kernel": (2, 2), "stride": (2, 2), "pad": (0, 0, 0, 0)})
    assert get_op("avg_pool2d").macs(g.op("op"), g) == 3 * 3 * 4 * 4


# ---- mean ---------------------------------------------------------------------------------------

def _naive_mean_tflm(x, in_q, out_q):
    """Per channel, the oracles' arithmetic written out with Python integers (equal quantization too)."""
    from mnc.quant import multiply_by_quantized_multiplier, quantize_multiplier

    n = x.shape[1] * x.shape[2]
    out = []
    for ch in range(x.shape[3]):
        total = int(x[0, :, :, ch].astype(np.int64).sum())
        m, s = quantize_multiplier(float(np.float32(in_q[0])) / float(np.float32(out_q[0])))
        k = min(n.bit_length() - 1, 32, 31 + s)
        y = int(multiply_by_quantized_multiplier(total - in_q[1] * n, (m << k) // n, s - k)) + out_q[1]
        out.append(min(max(y, -128), 127))
    return np.array(out, dtype=np.int8)


@pytest.mark.parametrize("in_q,out_q", [((0.05, -128), (0.05, -128)), ((0.05, 3), (0.05, 3)),
                                        ((0.05, -128), (0.02, 5)), ((0.3, 127), (0.011, -128))])
@pytest.mark.parametrize("keepdims", [True, False])
def test_mean_int8_reference_and_c(in_q, out_q, keepdims):
    rng = np.random.default_rng(RNG_SEED)
    x = _rand_int8(rng, (1, 7, 5, 6))
    g = _graph("mean", [x.shape], {"axes": (1, 2), "keepdims": keepdims}, [in_q], out_q)
    py = _eval(g, [x], "int8")
    assert py.shape == ((1, 1, 1, 6) if keepdims else (1, 6))
    np.testing.assert_array_equal(py.reshape(-1), _naive_mean_tflm(x, in_q, out_q))
    np.testing.assert_array_equal(_c(g, [x]), py)


def test_mean_integer_ops_variant_stays_within_one_step_of_tflm():
    """LiteRT's 4D keepdims path (reference_integer_ops::Mean) rounds differently, by at most one."""
    rng = np.random.default_rng(RNG_SEED)
    x = _rand_int8(rng, (1, 9, 9, 16))
    in_q, out_q = (0.05, -20), (0.03, 4)
    g = _graph("mean", [x.shape], {"axes": (1, 2), "keepdims": True}, [in_q], out_q)
    tflm = _eval(g, [x], "int8").astype(int)
    other = mean_int8_integer_ops(x, in_q, out_q).astype(int)
    assert np.abs(tflm - other).max() <= 1


def test_mean_float_and_rejections():
    x = np.random.default_rng(RNG_SEED).standard_normal((1, 3, 4, 5)).astype(np.float32)
    g = _graph("mean", [x.shape], {"axes": (1, 2), "keepdims": False})
    np.testing.assert_allclose(_eval(g, [x], "float"), x.mean(axis=(1, 2)), rtol=1e-5)
    g3 = _graph("mean", [x.shape], {"axes": (3,), "keepdims": True}, [(0.1, 0)], (0.1, 0))
    with pytest.raises(UnsupportedError):
        lower_call(g3.op("op"), g3, None)


# ---- reshape, concat ---------------------------------------------------------------------------

def test_reshape_infers_and_aliases():
    g = _graph("reshape", [(1, 1, 1, 12)], {"shape": (1, -1)}, [(0.1, 3)], (0.1, 3))
    assert g.tensor("y").shape == (1, 12)
    call = lower_call(g.op("op"), g, None)
    assert call.is_alias and call.inputs == ["x0"] and call.outputs == ["y"]
    x = np.arange(12, dtype=np.int8).reshape(1, 1, 1, 12)
    np.testing.assert_array_equal(_eval(g, [x], "int8"), x.reshape(1, 12))


@pytest.mark.parametrize("axis", [3, 1, -1])
@pytest.mark.parametrize("quants", [((0.1, 2), (0.1, 2), (0.1, 2)), ((0.1, -128), (0.07, 127), (0.09, 0))])
def test_concat_int8_reference_and_c(axis, quants):
    rng = np.random.default_rng(RNG_SEED)
    a, b = _rand_int8(rng, (1, 3, 4, 2)), _rand_int8(rng, (1, 3, 4, 5) if axis % 4 == 3 else (1, 2, 4, 2))
    g = _graph("concat", [a.shape, b.shape], {"axis": axis}, list(quants[:2]), quants[2])
    py = _eval(g, [a, b], "int8")
    # Float check: each part is the requantized real value within half a step (plus rounding).
    real = np.concatenate([(a.astype(float) - quants[0][1]) * quants[0][0],
                           (b.astype(float) - quants[1][1]) * quants[1][0]], axis=axis)
    expect = np.clip(np.round(real / quants[2][0]) + quants[2][1], -128, 127)
    assert np.abs(py.astype(float) - expect).max() <= 1
    np.testing.assert_array_equal(_c(g, [a, b]), py)


def test_kernels_cross_compile_for_cortex_m():
    kernels = ("avg_pool", "max_pool", "mean", "concat", "requantize")
    check_compiles([f"mnc_{k}_s8.{ext}" for k in kernels for ext in ("c", "h")])
