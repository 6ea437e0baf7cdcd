"""conv2d, depthwise_conv2d, fully_connected, batch_norm, pad: float against naive loops, int8 against
a loop transcription of TFLite's reference kernels, and the C kernels bit-exact against Python."""

from __future__ import annotations

import numpy as np
import pytest

from mnc import quant
from mnc.errors import UnsupportedError
from mnc.ir import Graph, QuantParams, Tensor
from mnc.kernels.select import lower_call
from mnc.ops import geometry, get_op, requantization, verify_graph
from mnc.quant import activation_qparams
from tests.conftest import need_tool
from tests.ops.c_harness import check_compiles, run_kernel_c

ACT_NONE, ACT_RELU, ACT_RELU6 = "none", "relu", "relu6"


# ---- graph builders -----------------------------------------------------------------------------

def _single_op_graph(kind, x, w, b, attrs, dtype="float32"):
    g = Graph(kind)
    g.add_tensor(Tensor("x", x.shape, dtype))
    g.add_tensor(Tensor("w", w.shape, dtype, w))
    inputs = ["x", "w"]
    if b is not None:
        g.add_tensor(Tensor("b", b.shape, "int32" if dtype == "int8" else "float32", b))
        inputs.append("b")
    out_shape = get_op(kind).infer(_probe_op(kind, inputs, attrs), g)[0][0]
    g.add_tensor(Tensor("y", out_shape, dtype))
    g.inputs, g.outputs = ["x"], ["y"]
    g.add_op(kind, inputs, ["y"], attrs, name="op")
    return g


def _probe_op(kind, inputs, attrs):
    from mnc.ir import Op

    return Op("probe", kind, inputs, ["y"], attrs)


def _run(g, x, mode):
    op = g.op("op")
    opdef = get_op(op.kind)
    args = [x] + [g.tensor(n).data for n in op.inputs[1:]]
    return (opdef.eval_float if mode == "float" else opdef.eval_int8)(op, g, args)[0]


# ---- naive references ----------------------------------------------------------------------------

def _naive_conv(x, w, b, stride, pad, dil, depthwise=False, mult=1, acc_fn=None):
    """Loop-for-loop TFLite reference: padded taps are skipped; acc_fn(x, w) multiplies one tap."""
    n, h, wd, c = x.shape
    kh, kw = w.shape[1], w.shape[2]
    oc = w.shape[3] if depthwise else w.shape[0]
    oh = (h + pad[0] + pad[1] - ((kh - 1) * dil[0] + 1)) // stride[0] + 1
    ow = (wd + pad[2] + pad[3] - ((kw - 1) * dil[1] + 1)) // stride[1] + 1
    acc_fn = acc_fn or (lambda a, f: float(a) * float(f))
    out = np.zeros((n, oh, ow, oc), dtype=object)
    for oy in range(oh):
        for ox in range(ow):
            for o in range(oc):
                acc = 0
                for ky in range(kh):
                    for kx in range(kw):
                        iy = oy * stride[0] - pad[0] + ky * dil[0]
                        ix = ox * stride[1] - pad[2] + kx * dil[1]
                        if not (0 <= iy < h and 0 <= ix < wd):
                            continue
                        if depthwise:
                            acc += acc_fn(x[0, iy, ix, o // mult], w[0, ky, kx, o])
                        else:
                            for i in range(c):
                                acc += acc_fn(x[0, iy, ix, i], w[o, ky, kx, i])
                out[0, oy, ox, o] = acc + (b[o] if b is not None else 0)
    return out


def _tflite_output_stage(acc, mult, shift, out_zp, lo, hi):
    """Scalar MultiplyByQuantizedMultiplier + offset + clamp, written out from the spec."""
    y = int(quant.multiply_by_quantized_multiplier(np.int64(acc), mult, shift)) + out_zp
    return min(max(y, lo), hi)


def _int8_reference(x, w, b, stage_args, geometry, depthwise=False, mult=1):
    in_off, out_zp, mults, shifts, (lo, hi) = stage_args
    acc = _naive_conv(x.astype(int), w.astype(int), [int(v) for v in b], *geometry, depthwise, mult,
                      acc_fn=lambda a, f: (int(a) + in_off) * int(f))
    out = np.empty(acc.shape, np.int8)
    for idx in np.ndindex(acc.shape):
        o = idx[-1]
        out[idx] = _tflite_output_stage(acc[idx], int(mults[o]), int(shifts[o]), out_zp, lo, hi)
    return out


# ---- float ---------------------------------------------------------------------------------------

CONV_CASES = [
    # (x shape, (O, KH, KW), stride, pad, dilation)
    ((1, 7, 7, 3), (4, 3, 3), (1, 1), (1, 1, 1, 1), (1, 1)),     # SAME, stride 1
    ((1, 8, 8, 3), (5, 3, 3), (2, 2), (0, 1, 0, 1), (1, 1)),     # TFLite SAME, stride 2 (pad after)
    ((1, 9, 6, 2), (3, 3, 3), (2, 1), (0, 0, 0, 0), (1, 1)),     # VALID, mixed stride
    ((1, 5, 5, 6), (7, 1, 1), (1, 1), (0, 0, 0, 0), (1, 1)),     # pointwise
    ((1, 6, 6, 4), (3, 1, 1), (2, 2), (0, 0, 0, 0), (1, 1)),     # pointwise, stride 2
    ((1, 9, 9, 2), (3, 3, 3), (1, 1), (2, 2, 2, 2), (2, 2)),     # dilation 2
]


@pytest.mark.parametrize("x_shape, wdims, stride, pad, dil", CONV_CASES)
def test_conv2d_float_matches_naive_loops(x_shape, wdims, stride, pad, dil):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal((*wdims, x_shape[3])).astype(np.float32)
    b = rng.standard_normal(wdims[0]).astype(np.float32)
    g = _single_op_graph("conv2d", x, w, b, {"stride": stride, "pad": pad, "dilation": dil})
    want = _naive_conv(x, w, b, stride, pad, dil).astype(np.float64)
    np.testing.assert_allclose(_run(g, x, "float"), want, rtol=1e-5, atol=1e-5)


DW_CASES = [
    # (x shape, (KH, KW), multiplier, stride, pad, dilation)
    ((1, 7, 7, 4), (3, 3), 1, (1, 1), (1, 1, 1, 1), (1, 1)),
    ((1, 8, 8, 3), (3, 3), 1, (2, 2), (0, 1, 0, 1), (1, 1)),
    ((1, 6, 5, 3), (3, 3), 2, (1, 2), (1, 1, 1, 1), (1, 1)),
    ((1, 9, 9, 2), (3, 3), 2, (1, 1), (0, 0, 0, 0), (2, 2)),
    ((1, 7, 7, 2), (5, 5), 1, (1, 1), (2, 2, 2, 2), (1, 1)),
    ((1, 4, 4, 3), (1, 1), 3, (1, 1), (0, 0, 0, 0), (1, 1)),
]


@pytest.mark.parametrize("x_shape, k, mult, stride, pad, dil", DW_CASES)
def test_depthwise_float_matches_naive_loops(x_shape, k, mult, stride, pad, dil):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(x_shape).astype(np.float32)
    w = rng.standard_normal((1, *k, x_shape[3] * mult)).astype(np.float32)
    b = rng.standard_normal(w.shape[3]).astype(np.float32)
    attrs = {"stride": stride, "pad": pad, "dilation": dil, "depth_multiplier": mult}
    g = _single_op_graph("depthwise_conv2d", x, w, b, attrs)
    want = _naive_conv(x, w, b, stride, pad, dil, depthwise=True, mult=mult).astype(np.float64)
    np.testing.assert_allclose(_run(g, x, "float"), want, rtol=1e-5, atol=1e-5)


def test_fully_connected_float_flattens_and_applies_relu6():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 2, 2, 3)).astype(np.float32) * 3
    w = rng.standard_normal((5, 12)).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)
    g = _single_op_graph("fully_connected", x, w, b, {"act": ACT_RELU6})
    want = np.clip(x.reshape(1, -1) @ w.T + b, 0, 6)
    np.testing.assert_allclose(_run(g, x, "float"), want, rtol=1e-5, atol=1e-5)
    assert get_op("fully_connected").macs(g.op("op"), g) == 60


def test_conv_float_without_bias_and_relu():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 5, 5, 2)).astype(np.float32)
    w = rng.standard_normal((3, 3, 3, 2)).astype(np.float32)
    g = _single_op_graph("conv2d", x, w, None, {"pad": (1, 1, 1, 1), "act": ACT_RELU})
    want = np.maximum(_naive_conv(x, w, None, (1, 1), (1, 1, 1, 1), (1, 1)).astype(np.float64), 0)
    np.testing.assert_allclose(_run(g, x, "float"), want, rtol=1e-5, atol=1e-5)
    assert get_op("conv2d").macs(g.op("op"), g) == 5 * 5 * 3 * 3 * 3 * 2


def test_batch_norm_float_and_no_int8():
    g = Graph()
    x = np.arange(8, dtype=np.float32).reshape(1, 2, 2, 2)
    params = {"gamma": [2.0, 0.5], "beta": [1.0, -1.0], "mean": [3.0, 4.0], "var": [4.0, 0.25]}
    g.add_tensor(Tensor("x", x.shape))
    for name, v in params.items():
        g.add_tensor(Tensor(name, (2,), "float32", np.array(v, np.float32)))
    g.add_tensor(Tensor("y", x.shape))
    op = g.add_op("batch_norm", ["x", *params], ["y"], {"eps": 0.0})
    args = [x] + [g.tensor(n).data for n in params]
    got = get_op("batch_norm").eval_float(op, g, args)[0]
    want = (x - [3.0, 4.0]) / np.sqrt([4.0, 0.25]) * [2.0, 0.5] + [1.0, -1.0]
    np.testing.assert_allclose(got, want, rtol=1e-6)
    with pytest.raises(UnsupportedError):
        get_op("batch_norm").eval_int8(op, g, args)


def test_pad_float_and_int8_use_real_zero():
    g = Graph()
    g.add_tensor(Tensor("x", (1, 2, 2, 1), "int8", quant=QuantParams.per_tensor(0.1, -7)))
    g.add_tensor(Tensor("y", (1, 3, 5, 1), "int8"))
    op = g.add_op("pad", ["x"], ["y"], {"pads": ((0, 0), (1, 0), (1, 2), (0, 0))})
    assert get_op("pad").infer(op, g) == [((1, 3, 5, 1), "int8")]
    x = np.array([1, 2, 3, 4], np.int8).reshape(1, 2, 2, 1)
    got = get_op("pad").eval_int8(op, g, [x])[0]
    assert got[0, :, :, 0].tolist() == [[-7] * 5, [-7, 1, 2, -7, -7], [-7, 3, 4, -7, -7]]
    assert get_op("pad").eval_float(op, g, [x.astype(np.float32)])[0][0, 0, 0, 0] == 0.0


# ---- int8 ----------------------------------------------------------------------------------------

def _quantized_case(kind, rng, x_shape, w_shape, attrs, in_zp, out_zp, per_tensor_w=False):
    """A single-op int8 graph with random data and an output scale fitted to the real outputs."""
    in_scale = 0.03
    x = rng.integers(-128, 128, x_shape, dtype=np.int8)
    w = rng.integers(-127, 128, w_shape, dtype=np.int8)
    channels = w_shape[3] if kind == "depthwise_conv2d" else w_shape[0]
    w_axis = 3 if kind == "depthwise_conv2d" else 0
    w_scales = rng.uniform(0.002, 0.02, 1 if per_tensor_w else channels).astype(np.float32)
    b = rng.integers(-3000, 3000, channels).astype(np.int32)
    g = _single_op_graph(kind, x, w, b, attrs, dtype="int8")
    g.tensor("x").quant = QuantParams.per_tensor(in_scale, in_zp)
    g.tensor("w").quant = QuantParams(w_scales, np.zeros_like(w_scales, np.int32),
                                      None if per_tensor_w else w_axis)
    g.tensor("b").quant = QuantParams(in_scale * w_scales, np.zeros_like(w_scales, np.int32))
    # Fit the output scale to the float result so values land across the int8 range.
    real = _float_of_quantized(kind, g, x, in_scale, in_zp, w, w_scales, w_axis, b, attrs)
    out_scale = max(float(np.abs(real).max()) / 127.0, 1e-4) * rng.uniform(0.6, 1.2)
    g.tensor("y").quant = QuantParams.per_tensor(out_scale, out_zp)
    return g, x


def with_left_shifts(g, x, rng, in_zp, out_zp):
    """The case rewritten so TFLite's multipliers exceed one (left shifts): small weights and inputs
    around the zero point, and an output scale below input * weight scale."""
    x = np.clip(in_zp + rng.integers(-3, 4, x.shape), -128, 127).astype(np.int8)
    w, b, y = g.tensor("w"), g.tensor("b"), g.tensor("y")
    w.data = rng.integers(-3, 4, w.shape).astype(np.int8)
    b.data = rng.integers(-20, 21, b.shape).astype(np.int32)
    in_scale = float(g.tensor("x").quant.scale[0])
    y.quant = type(y.quant).per_tensor(in_scale * float(w.quant.scale.max()) / 6.0, out_zp)
    return x


def _float_of_quantized(kind, g, x, in_scale, in_zp, w, w_scales, w_axis, b, attrs):
    shape = [1] * w.ndim
    shape[w_axis] = -1
    wf = w.astype(np.float32) * np.broadcast_to(w_scales, (w.shape[w_axis],)).reshape(shape)
    bf = b.astype(np.float32) * in_scale * np.broadcast_to(w_scales, b.shape)
    gf = _single_op_graph(kind, x.astype(np.float32), wf, bf, {**attrs, "act": ACT_NONE})
    return _run(gf, (x.astype(np.float32) - in_zp) * in_scale, "float")


def _stage_args(g):
    stage = requantization.output_stage(g, g.op("op"), len(g.tensor("b").data),
                                     per_channel_rule=g.op("op").kind != "fully_connected")
    return (stage["input_offset"], stage["output_offset"], stage["multiplier"], stage["shift"],
            stage["act_range"])


INT8_CASES = [
    # kind, x shape, w shape, attrs, in_zp, out_zp
    ("conv2d", (1, 7, 7, 3), (4, 3, 3, 3), {"stride": (2, 2), "pad": (0, 1, 0, 1), "act": ACT_RELU6}, 5, -128),
    ("conv2d", (1, 6, 6, 5), (3, 3, 3, 5), {"pad": (1, 1, 1, 1), "dilation": (2, 1)}, -128, 127),
    ("conv2d", (1, 5, 5, 8), (6, 1, 1, 8), {"act": ACT_RELU}, 127, 3),
    ("depthwise_conv2d", (1, 7, 7, 4), (1, 3, 3, 4), {"pad": (1, 1, 1, 1), "act": ACT_RELU6}, -128, -128),
    ("depthwise_conv2d", (1, 6, 7, 3), (1, 3, 3, 6),
     {"stride": (2, 2), "pad": (0, 1, 1, 1), "depth_multiplier": 2}, 127, 0),
]


@pytest.mark.parametrize("kind, x_shape, w_shape, attrs, in_zp, out_zp", INT8_CASES)
def test_int8_matches_tflite_loop_reference(kind, x_shape, w_shape, attrs, in_zp, out_zp):
    rng = np.random.default_rng(10)
    g, x = _quantized_case(kind, rng, x_shape, w_shape, attrs, in_zp, out_zp)
    stride, pad, dil = geometry.window_attrs(g.op("op"))
    depthwise = kind == "depthwise_conv2d"
    mult = attrs.get("depth_multiplier", 1)
    want = _int8_reference(x, g.tensor("w").data, g.tensor("b").data, _stage_args(g), (stride, pad, dil),
                           depthwise, mult)
    got = _run(g, x, "int8")
    assert got.dtype == np.int8
    np.testing.assert_array_equal(got, want)
    assert len(np.unique(got)) > 10  # the fitted output scale exercises the whole range


@pytest.mark.parametrize("per_tensor_w", [False, True])
def test_fully_connected_int8_matches_loop_reference(per_tensor_w):
    rng = np.random.default_rng(11)
    g, x = _quantized_case("fully_connected", rng, (1, 1, 1, 40), (9, 40), {}, -3, 10, per_tensor_w)
    in_off, out_zp, mults, shifts, (lo, hi) = _stage_args(g)
    w, b = g.tensor("w").data.astype(int), g.tensor("b").data.astype(int)
    xi = x.reshape(-1).astype(int)
    want = [_tflite_output_stage(sum((xi + in_off) * w[o]) + b[o], int(mults[o]), int(shifts[o]),
                                 out_zp, lo, hi) for o in range(9)]
    assert _run(g, x, "int8").reshape(-1).tolist() == want


def test_multiplier_rules_match_tflite_float_precision():
    # Per-tensor FC multiplies input*filter scale in float32 first; conv (and per-channel FC)
    # multiply in double. Find scales where the two differ and check each rule picks its own.
    rng = np.random.default_rng(5)
    for _ in range(2000):
        s_in, s_w, s_out = (np.float32(v) for v in rng.uniform(1e-3, 1e-1, 3))
        fc = requantization.fc_per_tensor_multiplier(s_in, s_w, s_out, 1)
        conv = requantization.conv_multipliers(s_in, np.array([s_w]), s_out, 1)
        if fc[0][0] != conv[0][0]:
            break
    else:
        pytest.fail("no scales found where float32 and double products differ")
    assert fc[0][0] == quant.quantize_multiplier(float(s_in * s_w) / float(s_out))[0]
    assert conv[0][0] == quant.quantize_multiplier(float(s_in) * float(s_w) / float(s_out))[0]


def test_int8_identity_kernel_reproduces_input():
    # A centre-tap 1 with input scale == output scale and matching zero points is the identity.
    x = np.arange(-128, 128, 8, dtype=np.int8).reshape(1, 4, 4, 2)
    w = np.zeros((2, 3, 3, 2), np.int8)
    w[0, 1, 1, 0] = w[1, 1, 1, 1] = 1
    g = _single_op_graph("conv2d", x, w, np.zeros(2, np.int32), {"pad": (1, 1, 1, 1)}, dtype="int8")
    g.tensor("x").quant = QuantParams.per_tensor(0.5, 3)
    g.tensor("w").quant = QuantParams(np.ones(2, np.float32), np.zeros(2, np.int32), 0)
    g.tensor("y").quant = QuantParams.per_tensor(0.5, 3)
    np.testing.assert_array_equal(_run(g, x, "int8"), x)


def test_quantize_adds_zero_bias_and_quantizes_weights_per_channel():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((1, 5, 5, 3)).astype(np.float32)
    w = rng.standard_normal((1, 3, 3, 6)).astype(np.float32)
    g = _single_op_graph("depthwise_conv2d", x, w, None, {"pad": (1, 1, 1, 1), "depth_multiplier": 2})
    y_float = _run(g, x, "float")
    g.tensor("x").quant, g.tensor("x").dtype = activation_qparams(float(x.min()), float(x.max())), "int8"
    op = g.op("op")
    get_op(op.kind).quantize(op, g, {"y": (float(y_float.min()), float(y_float.max()))})
    assert len(op.inputs) == 3 and g.tensor(op.inputs[2]).dtype == "int32"
    assert g.tensor(op.inputs[2]).data.tolist() == [0] * 6
    assert g.tensor("w").dtype == "int8" and g.tensor("w").quant.axis == 3
    assert g.tensor("w").quant.scale.shape == (6,)
    verify_graph(g)
    xq = g.tensor("x").quant.quantize(x)
    yq = get_op(op.kind).eval_int8(op, g, [xq, g.tensor("w").data, g.tensor(op.inputs[2]).data])[0]
    err = np.abs(g.tensor("y").quant.dequantize(yq) - y_float).max()
    assert err < 6 * float(g.tensor("y").quant.scale[0])


# ---- C kernels -----------------------------------------------------------------------------------

C_CASES = [
    # kind, x shape, w shape, attrs, in_zp, out_zp, expected kernel
    ("conv2d", (1, 9, 9, 3), (8, 3, 3, 3), {"stride": (2, 2), "pad": (0, 1, 0, 1), "act": ACT_RELU6},
     -128, -128, "mnc_conv2d_s8"),
    ("conv2d", (1, 6, 7, 5), (5, 3, 3, 5), {"pad": (1, 1, 1, 1), "dilation": (2, 2)}, 127, 127,
     "mnc_conv2d_s8"),
    ("conv2d", (1, 5, 4, 4), (3, 2, 3, 4), {"stride": (1, 2), "pad": (1, 0, 2, 1), "act": ACT_RELU},
     0, -20, "mnc_conv2d_s8"),
    ("conv2d", (1, 5, 5, 17), (9, 1, 1, 17), {"act": ACT_RELU6}, -128, -128, "mnc_conv1x1_s8"),
    ("conv2d", (1, 4, 4, 16), (8, 1, 1, 16), {}, 127, 127, "mnc_conv1x1_s8"),
    ("conv2d", (1, 7, 6, 6), (5, 1, 1, 6), {"stride": (2, 2)}, 9, -3, "mnc_conv1x1_s8"),
    ("depthwise_conv2d", (1, 9, 9, 5), (1, 3, 3, 5), {"pad": (1, 1, 1, 1), "act": ACT_RELU6},
     -128, -128, "mnc_depthwise_conv2d_s8"),
    ("depthwise_conv2d", (1, 8, 8, 4), (1, 3, 3, 4), {"stride": (2, 2), "pad": (0, 1, 0, 1)},
     127, 127, "mnc_depthwise_conv2d_s8"),
    ("depthwise_conv2d", (1, 7, 8, 3), (1, 3, 3, 6),
     {"stride": (1, 2), "pad": (1, 1, 1, 1), "depth_multiplier": 2, "dilation": (2, 1)}, 40, 0,
     "mnc_depthwise_conv2d_s8"),
    ("depthwise_conv2d", (1, 8, 7, 2), (1, 5, 5, 2), {"pad": (2, 2, 2, 2), "act": ACT_RELU}, -5, -128,
     "mnc_depthwise_conv2d_s8"),
    ("depthwise_conv2d", (1, 3, 4, 4), (1, 3, 3, 4), {"pad": (0, 0, 0, 0)}, 12, 1,
     "mnc_depthwise_conv2d_s8"),
    # Unequal top/left pads and strides: a kernel that mixes up the two axes cannot pass these.
    ("depthwise_conv2d", (1, 7, 9, 3), (1, 3, 3, 3), {"stride": (2, 1), "pad": (0, 1, 2, 1)}, -7, 4,
     "mnc_depthwise_conv2d_s8"),
    ("depthwise_conv2d", (1, 9, 6, 4), (1, 3, 3, 4), {"stride": (1, 2), "pad": (2, 0, 0, 1)}, 30, -9,
     "mnc_depthwise_conv2d_s8"),
]


@pytest.fixture(scope="module")
def gcc():
    need_tool("gcc")


@pytest.mark.parametrize("kind, x_shape, w_shape, attrs, in_zp, out_zp, kernel", C_CASES)
def test_c_kernel_bit_exact(gcc, kind, x_shape, w_shape, attrs, in_zp, out_zp, kernel):
    rng = np.random.default_rng(20)
    g, x = _quantized_case(kind, rng, x_shape, w_shape, attrs, in_zp, out_zp)
    _assert_c_matches_python(g, x, kernel)


@pytest.mark.parametrize("per_tensor_w, in_zp, act", [(False, -128, ACT_RELU6), (True, 127, ACT_NONE)])
def test_c_fully_connected_bit_exact(gcc, per_tensor_w, in_zp, act):
    rng = np.random.default_rng(21)
    g, x = _quantized_case("fully_connected", rng, (1, 1, 1, 37), (11, 37), {"act": act}, in_zp, -9,
                           per_tensor_w)
    _assert_c_matches_python(g, x, "mnc_fully_connected_s8")


def test_c_pad_bit_exact(gcc):
    rng = np.random.default_rng(22)
    g = Graph()
    x = rng.integers(-128, 128, (1, 3, 4, 3), dtype=np.int8)
    g.add_tensor(Tensor("x", x.shape, "int8", quant=QuantParams.per_tensor(0.1, -100)))
    g.add_tensor(Tensor("y", (1, 6, 5, 5), "int8"))
    op = g.add_op("pad", ["x"], ["y"], {"pads": ((0, 0), (1, 2), (0, 1), (2, 0))})
    g.inputs, g.outputs = ["x"], ["y"]
    get_op("pad").quantize(op, g, {})
    want = get_op("pad").eval_int8(op, g, [x])[0]
    call = lower_call(op, g, None)
    np.testing.assert_array_equal(run_kernel_c(call, [x], want.shape), want)


def test_conv1x1_falls_back_when_folded_bias_overflows():
    rng = np.random.default_rng(23)
    g, _ = _quantized_case("conv2d", rng, (1, 2, 2, 4), (2, 1, 1, 4), {}, -128, 0)
    g.tensor("b").data = np.array([2**31 - 10, 0], np.int32)
    g.tensor("w").data[0] = 127
    assert lower_call(g.op("op"), g, None).kernel == "mnc_conv2d_s8"


def test_lowered_params_are_numbers_and_arrays():
    rng = np.random.default_rng(24)
    g, _ = _quantized_case("depthwise_conv2d", rng, (1, 5, 5, 2), (1, 3, 3, 2), {"pad": (1, 1, 1, 1)}, 3, 4)
    call = lower_call(g.op("op"), g, None)
    assert call.params["input_offset"] == -3 and call.params["output_offset"] == 4
    assert call.params["pad_top"] == 1 and call.params["in_c"] == 2
    assert {a.name for a in call.arrays} == {"weights", "bias", "multiplier", "shift"}
    assert call.inputs == ["x"] and call.outputs == ["y"] and call.scratch_bytes == 0


KERNEL_FILES = ["mnc_conv2d_s8.c", "mnc_conv1x1_s8.c", "mnc_depthwise_conv2d_s8.c",
                "mnc_fully_connected_s8.c", "mnc_pad_s8.c"]


def test_kernels_compile_for_cortex_m7():
    need_tool("arm-none-eabi-gcc")
    check_compiles([*KERNEL_FILES, *(f.replace(".c", ".h") for f in KERNEL_FILES)])


def _assert_c_matches_python(g, x, kernel):
    op = g.op("op")
    want = get_op(op.kind).eval_int8(op, g, [x, g.tensor("w").data, g.tensor("b").data])[0]
    call = lower_call(op, g, None)
    assert call.kernel == kernel
    got = run_kernel_c(call, [x], want.shape)
    mismatch = np.argwhere(got != want)
    assert mismatch.size == 0, (f"{len(mismatch)} mismatches, first at {tuple(mismatch[0])}: "
                                f"C {got[tuple(mismatch[0])]} vs Python {want[tuple(mismatch[0])]}")
    assert len(np.unique(want)) > 3  # not a trivially saturated output


# ---- LiteRT reference kernels on the real VWW layers ------------------------------------------------

_TFLITE_KINDS = {3: "conv2d", 4: "depthwise_conv2d", 9: "fully_connected"}
_TFLITE_ACTS = {0: ACT_NONE, 1: ACT_RELU, 3: ACT_RELU6}


@pytest.fixture(scope="module")
def vww_layers(shared_models):
    """Each conv-family layer of the VWW int8 model as a one-op Graph, with the input and output
    LiteRT's *reference* kernels computed for it on the person image."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    from PIL import Image

    from tests.conftest import VWW_INT8

    interp = Interpreter(model_path=str(VWW_INT8), experimental_preserve_all_tensors=True,
                         experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    interp.allocate_tensors()
    img = np.asarray(Image.open(shared_models / "person.bmp").convert("L"), np.int16) - 128
    interp.set_tensor(interp.get_input_details()[0]["index"], np.repeat(img.astype(np.int8)[None, ..., None], 3, 3))
    interp.invoke()
    return _conv_layers(interp, VWW_INT8.read_bytes())


def _conv_layers(interp, model_bytes):
    import tflite

    model = tflite.Model.GetRootAsModel(model_bytes, 0)
    sub = model.Subgraphs(0)
    details = {d["index"]: d for d in interp.get_tensor_details()}
    layers = []
    for k in range(sub.OperatorsLength()):
        o = sub.Operators(k)
        kind = _TFLITE_KINDS.get(model.OperatorCodes(o.OpcodeIndex()).BuiltinCode())
        if kind is None:
            continue
        (xi, wi, bi), yi = o.InputsAsNumpy()[:3], o.OutputsAsNumpy()[0]
        g = Graph(f"layer{k}")
        for name, idx in (("x", xi), ("w", wi), ("b", bi), ("y", yi)):
            arr = interp.get_tensor(idx)
            q = details[idx]["quantization_parameters"]
            axis = q["quantized_dimension"] if len(q["scales"]) > 1 else None
            data = arr if name in ("w", "b") else None
            g.add_tensor(Tensor(name, arr.shape, str(arr.dtype), data, QuantParams(q["scales"], q["zero_points"], axis)))
        g.inputs, g.outputs = ["x"], ["y"]
        g.add_op(kind, ["x", "w", "b"], ["y"], _tflite_attrs(kind, o, g), name="op")
        layers.append((g, interp.get_tensor(xi), interp.get_tensor(yi)))
    return layers


def _tflite_attrs(kind, o, g):
    import tflite

    option_class = {"conv2d": tflite.Conv2DOptions, "depthwise_conv2d": tflite.DepthwiseConv2DOptions,
                    "fully_connected": tflite.FullyConnectedOptions}[kind]
    opts = option_class()
    table = o.BuiltinOptions()
    opts.Init(table.Bytes, table.Pos)
    attrs = {"act": _TFLITE_ACTS[opts.FusedActivationFunction()]}
    if kind == "fully_connected":
        return attrs
    x, w, y = (g.tensor(n).shape for n in ("x", "w", "y"))
    stride = (opts.StrideH(), opts.StrideW())
    pads = []
    for axis in (1, 2):
        total = max((y[axis] - 1) * stride[axis - 1] + w[axis] - x[axis], 0) if opts.Padding() == 0 else 0
        pads += [total // 2, total - total // 2]  # TFLite SAME: the extra row/column goes after
    attrs.update(stride=stride, pad=tuple(pads), dilation=(opts.DilationHFactor(), opts.DilationWFactor()))
    if kind == "depthwise_conv2d":
        attrs["depth_multiplier"] = opts.DepthMultiplier()
    return attrs


def test_int8_matches_litert_reference_kernels_on_vww(vww_layers):
    assert len(vww_layers) == 28
    for g, x, want in vww_layers:
        op = g.op("op")
        got = get_op(op.kind).eval_int8(op, g, [x, g.tensor("w").data, g.tensor("b").data])[0]
        np.testing.assert_array_equal(got.reshape(want.shape), want, err_msg=f"{g.name} {op.kind} {op.attrs}")


@pytest.mark.parametrize("index", [0, 1, 2, 3, 27])  # first conv, dw s1, pointwise, dw s2, fc
def test_c_kernel_matches_litert_on_vww_layer(gcc, vww_layers, index):
    g, x, want = vww_layers[index]
    call = lower_call(g.op("op"), g, None)
    np.testing.assert_array_equal(run_kernel_c(call, [x], want.shape), want)
