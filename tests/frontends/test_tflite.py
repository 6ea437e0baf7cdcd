"""TFLite import: the VWW reference model layer by layer against LiteRT's reference kernels, small
synthetic int8 models per operator (written by mnc's exporter, executed by LiteRT and TFLite Micro),
and every rejection path."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import tflite

from mnc import interpreter
from mnc.errors import ModelError, UnsupportedError
from mnc.frontends.tflite import load_tflite, load_tflite_bytes
from mnc.frontends.tflite.exporter import TFLiteWriter, export_tflite
from mnc.ir import Graph, QuantParams, Tensor
from mnc.ops import get_op, verify_graph
from mnc.oracles import run_litert, run_tflm
from tests.conftest import VWW_FLOAT, VWW_INT8
from tests.test_oracles import vww_image

T = tflite.TensorType


# LiteRT derives MUL's int8 multiplier from float32 scale arithmetic (s1 * s2 / so in float),
# TFLite Micro in double: on rounding ties they differ by one. mnc follows TFLite Micro there.
ORACLES_DIFFER = {"mul"}


def _first_difference(op, got: np.ndarray, ref: np.ndarray, oracle: str) -> str | None:
    if got.dtype == ref.dtype and np.array_equal(got, ref):
        return None
    bad = np.argwhere(got != ref) if got.shape == ref.shape else [()]
    idx = tuple(int(i) for i in bad[0])
    return (f"first diverging layer {op.name} ({op.kind}, {op.meta.get('source')}): {len(bad)} elements "
            f"differ from {oracle}, first at {idx}: mnc {got[idx]} vs {oracle} {ref[idx]}")


def assert_layers_match(graph: Graph, litert: dict[int, np.ndarray], values: dict[str, np.ndarray],
                        tflm: dict[int, np.ndarray] | None = None) -> None:
    """Every op output equals LiteRT's (and TFLite Micro's) tensor; else name the first diverging element.

    Downstream of an op where the oracles differ only TFLite Micro is the reference."""
    tflm_only = False
    for op in graph.ops():
        for name in op.outputs:
            t = graph.tensor(name)
            if "tflite_index" not in t.meta:
                continue
            refs = {"LiteRT": litert[t.meta["tflite_index"]].reshape(t.shape)}
            if tflm is not None:
                refs["TFLite Micro"] = tflm[t.meta["tflite_index"]].reshape(t.shape)
                tflm_only = tflm_only or op.kind in ORACLES_DIFFER
                if tflm_only:
                    refs.pop("LiteRT")
            for oracle, ref in refs.items():
                problem = _first_difference(op, values[name], ref, oracle)
                if problem:
                    pytest.fail(problem)


def compare_with_oracles(graph: Graph, model, x: np.ndarray, use_tflm: bool = True) -> None:
    litert = run_litert(model, x, preserve_all=True)
    tflm = run_tflm(model, x, preserve_all=True) if use_tflm else None
    mode = "int8" if any(t.dtype == "int8" for t in graph.tensors()) else "float"
    assert_layers_match(graph, litert, interpreter.run(graph, x, mode=mode, keep_all=True), tflm)


# ---- the VWW reference model ------------------------------------------------------------------

@pytest.fixture(scope="module")
def vww(shared_models) -> Graph:
    return load_tflite(VWW_INT8)


def test_vww_imports_as_mobilenet_v1(vww):
    kinds = Counter(op.kind for op in vww.ops())
    assert kinds == {"conv2d": 14, "depthwise_conv2d": 13, "avg_pool2d": 1, "reshape": 1,
                     "fully_connected": 1, "softmax": 1}
    x = vww.tensor(vww.inputs[0])
    assert (x.shape, x.dtype, x.quant.single()) == ((1, 96, 96, 3), "int8", (pytest.approx(1 / 255), -128))
    assert vww.tensor(vww.outputs[0]).quant.single() == (1 / 256, -128)


def test_vww_first_conv_keeps_tflite_quantization_and_same_padding(vww):
    conv = vww.ops()[0]
    assert conv.attrs == {"stride": (2, 2), "pad": (0, 1, 0, 1), "dilation": (1, 1), "act": "relu"}
    assert conv.meta["source"].startswith("tflite op 0 CONV_2D model/activation/Relu;")
    w, b = vww.tensor(conv.inputs[1]), vww.tensor(conv.inputs[2])
    assert (w.shape, w.dtype, w.quant.axis, w.quant.scale.size) == ((8, 3, 3, 3), "int8", 0, 8)
    assert (b.dtype, b.shape) == ("int32", (8,))
    assert w.meta["tflite_index"] == 44 and w.data[0, 0, 0, 0] == w.data.flat[0]


def test_vww_depthwise_is_per_channel_on_axis_3_and_fc_is_normalized(vww):
    dw = next(op for op in vww.ops() if op.kind == "depthwise_conv2d")
    assert dw.attrs["depth_multiplier"] == 1 and vww.tensor(dw.inputs[1]).quant.axis == 3
    fc = next(op for op in vww.ops() if op.kind == "fully_connected")
    wq = vww.tensor(fc.inputs[1]).quant
    assert wq.axis == 0 and wq.scale.size == 2 and wq.scale[0] == wq.scale[1]  # per-tensor in the file


@pytest.mark.parametrize("image", ["person.bmp", "no_person.bmp", "random"])
def test_vww_every_layer_is_bit_exact_with_litert(vww, image):
    rng = np.random.default_rng(7)
    x = rng.integers(-128, 128, (1, 96, 96, 3), dtype=np.int8) if image == "random" else vww_image(image)
    compare_with_oracles(vww, VWW_INT8, x)


def test_vww_float_model_imports_and_matches_litert_float(shared_models):
    graph = load_tflite(VWW_FLOAT)
    assert graph.tensor(graph.inputs[0]).dtype == "float32"
    assert all(t.quant is None for t in graph.tensors())
    x = np.random.default_rng(3).random((1, 96, 96, 3), dtype=np.float32)
    reference = run_litert(VWW_FLOAT, x, preserve_all=True)
    values = interpreter.run(graph, x, mode="float", keep_all=True)
    for op in graph.ops():
        t = graph.tensor(op.outputs[0])
        ref = reference[t.meta["tflite_index"]].reshape(t.shape)
        # Float summation order differs between numpy and LiteRT: a few ulps of the layer's range.
        np.testing.assert_allclose(values[t.name], ref, rtol=0, atol=1e-5 * max(1.0, np.abs(ref).max()),
                                   err_msg=op.name)


def test_vww_export_round_trip_runs_identically_in_both_oracles(vww):
    data = export_tflite(vww)
    x = vww_image("person.bmp")
    expected = run_litert(VWW_INT8, x)
    assert np.array_equal(run_litert(data, x), expected)
    assert np.array_equal(run_tflm(data, x), expected)
    again = load_tflite_bytes(data)
    assert [op.kind for op in again.ops()] == [op.kind for op in vww.ops()]
    assert [op.attrs for op in again.ops()] == [op.attrs for op in vww.ops()]


# ---- synthetic int8 models, one or a few ops each -----------------------------------------------

class Int8Builder:
    """Hand-quantized int8 graphs with random weights, scaled so outputs use the int8 range."""

    def __init__(self, shape, scale=0.05, zero_point=5, seed=0, dtype="int8"):
        self.g = Graph("synthetic")
        self.rng = np.random.default_rng(seed)
        quant = QuantParams.per_tensor(scale, zero_point) if dtype == "int8" else None
        self.x = self.g.add_tensor(Tensor("x", shape, dtype, quant=quant)).name
        self.g.inputs = [self.x]

    def op(self, kind, inputs, attrs=None, scale=None, zero_point=0, dtype="int8"):
        """Add `kind`; the output shape comes from the op's own shape inference."""
        name = self.g.unique_name(f"{kind}_out")
        quant = QuantParams.per_tensor(scale, zero_point) if scale is not None else None
        out = self.g.add_tensor(Tensor(name, (), dtype, quant=quant))
        op = self.g.add_op(kind, inputs, [name], attrs)
        out.shape = tuple(get_op(kind).infer(op, self.g)[0][0])
        return name

    def same(self, kind, x, attrs=None):
        """An op whose int8 output shares its input's quantization."""
        return self.op(kind, [x], attrs, *self.g.tensor(x).quant.single())

    def const(self, name, data, quant=None, dtype="int8"):
        return self.g.add_tensor(Tensor(self.g.unique_name(name), data.shape, dtype, data=data, quant=quant)).name

    def weighted(self, kind, x, w_shape, axis, attrs, out_scale=None, zero_point=-3):
        xq = self.g.tensor(x).quant.single()[0]
        channels, fan_in = w_shape[axis], int(np.prod(w_shape)) // w_shape[axis]
        if kind == "depthwise_conv2d":
            fan_in = w_shape[1] * w_shape[2]
        w_scale = (self.rng.uniform(0.5, 1.5, channels) / (64 * np.sqrt(fan_in))).astype(np.float32)
        w = self.const("w", self.rng.integers(-127, 128, w_shape, dtype=np.int8),
                       QuantParams(w_scale, np.zeros(channels, np.int32), axis))
        b_scale = (np.float32(xq) * w_scale).astype(np.float32)
        b = self.const("b", self.rng.integers(-2000, 2000, channels).astype(np.int32),
                       QuantParams(b_scale, np.zeros(channels, np.int32), 0), dtype="int32")
        return self.op(kind, [x, w, b], attrs, out_scale or xq * 0.7, zero_point)

    def conv(self, x, out_ch, k, stride=(1, 1), pad=(0, 0, 0, 0), act="none", **kw):
        in_ch = self.g.tensor(x).shape[3]
        attrs = dict(stride=stride, pad=pad, dilation=(1, 1), act=act)
        return self.weighted("conv2d", x, (out_ch, k, k, in_ch), 0, attrs, **kw)

    def dwconv(self, x, k, stride=(1, 1), pad=(0, 0, 0, 0), act="none", multiplier=1, **kw):
        ch = self.g.tensor(x).shape[3]
        attrs = dict(stride=stride, pad=pad, dilation=(1, 1), depth_multiplier=multiplier, act=act)
        return self.weighted("depthwise_conv2d", x, (1, k, k, ch * multiplier), 3, attrs, **kw)

    def done(self, *outputs) -> Graph:
        self.g.outputs = list(outputs)
        verify_graph(self.g)
        return self.g


def _case_conv_same_stride2(b):
    return b.conv(b.x, 8, 3, (2, 2), (0, 1, 0, 1), act="relu6")


def _case_conv_torch_pads_need_pad_op(b):
    return b.conv(b.x, 6, 3, (2, 2), (1, 1, 1, 1), act="relu")


def _case_pointwise_conv(b):
    return b.conv(b.x, 16, 1)


def _case_depthwise_multiplier_2(b):
    return b.dwconv(b.x, 3, (1, 1), (1, 1, 1, 1), act="relu6", multiplier=2)


def _case_depthwise_stride2(b):
    return b.dwconv(b.x, 3, (2, 2), (0, 1, 0, 1))


def _case_avg_pool(b):
    return b.same("avg_pool2d", b.x, dict(kernel=(2, 2), stride=(2, 2), pad=(0, 0, 0, 0), act="none"))


def _case_max_pool_same(b):
    return b.same("max_pool2d", b.x, dict(kernel=(3, 3), stride=(2, 2), pad=(0, 1, 0, 1), act="none"))


def _case_mean_keepdims(b):
    return b.op("mean", [b.x], dict(axes=(1, 2), keepdims=True), 0.03, -7)


def _case_mean_flat_requantized(b):
    return b.op("mean", [b.x], dict(axes=(1, 2), keepdims=False), 0.02, -9)


def _case_mean_same_quant(b):
    return b.same("mean", b.x, dict(axes=(1, 2), keepdims=False))


def _case_fully_connected(b):
    flat = b.same("reshape", b.x, dict(shape=(1, 8 * 8 * 4)))
    return b.weighted("fully_connected", flat, (10, 256), 0, dict(act="relu"), out_scale=0.1)


def _case_add_requantizes(b):
    y = b.conv(b.x, 4, 1, zero_point=9)
    return b.op("add", [b.x, y], dict(act="none"), 0.07, -2)


def _case_add_relu6(b):
    y = b.conv(b.x, 4, 1)
    return b.op("add", [y, b.x], dict(act="relu6"), 0.03, -128)


def _case_mul_broadcast_se(b):
    gate = b.op("mean", [b.x], dict(axes=(1, 2), keepdims=True), 0.04, 0)
    gate = b.op("logistic", [gate], None, 1 / 256, -128)
    return b.op("mul", [b.x, gate], dict(act="none"), 0.04, 3)


def _case_hard_swish(b):
    return b.op("hard_swish", [b.x], None, 0.03, -40)


def _case_logistic(b):
    return b.op("logistic", [b.x], None, 1 / 256, -128)


def _case_relu(b):
    return b.op("relu", [b.x], None, 0.04, -128)


def _case_relu6(b):
    # Same quantization in and out: TFLite Micro's RELU6 clamps without requantizing (LiteRT does).
    return b.same("relu6", b.x)


def _case_softmax(b):
    flat = b.same("reshape", b.x, dict(shape=(1, 256)))
    return b.op("softmax", [flat], dict(beta=1.0), 1 / 256, -128)


def _case_pad(b):
    return b.same("pad", b.x, dict(pads=((0, 0), (1, 2), (0, 1), (0, 0))))


def _case_concat(b):
    y = b.conv(b.x, 3, 1)
    return b.op("concat", [b.x, y], dict(axis=3), 0.05, 5)


def _case_requantize(b):
    return b.op("quantize", [b.x], None, 0.11, -17)


SYNTHETIC = {name[6:]: fn for name, fn in globals().items() if name.startswith("_case_")}


def _roundtrip(graph: Graph, x: np.ndarray) -> None:
    """Export, run both oracles, import back, and compare mnc layer by layer with both."""
    data = export_tflite(graph)
    litert, tflm = run_litert(data, x), run_tflm(data, x)
    if not any(op.kind in ORACLES_DIFFER for op in graph.ops()):
        assert np.array_equal(litert, tflm), "LiteRT and TFLite Micro disagree"
    imported = load_tflite_bytes(data)
    assert imported.tensor(imported.inputs[0]).quant.single() == graph.tensor(graph.inputs[0]).quant.single()
    compare_with_oracles(imported, data, x)
    out = interpreter.run(graph, x, mode="int8")[graph.outputs[0]]
    assert np.array_equal(out.reshape(tflm.shape), tflm), "the original mnc graph differs from TFLite Micro"


@pytest.mark.parametrize("case", sorted(SYNTHETIC))
def test_synthetic_op_matches_both_oracles(case):
    b = Int8Builder((1, 8, 8, 4), seed=len(case))
    graph = b.done(SYNTHETIC[case](b))
    x = np.random.default_rng(1).integers(-128, 128, (1, 8, 8, 4), dtype=np.int8)
    _roundtrip(graph, x)


def _mobilenet_v2_block(b: Int8Builder) -> str:
    """Inverted residual: 1x1 expand + relu6, 3x3 depthwise + relu6, 1x1 project, residual ADD."""
    h = b.conv(b.x, 24, 1, act="relu6", zero_point=-128)
    h = b.dwconv(h, 3, pad=(1, 1, 1, 1), act="relu6", zero_point=-128)
    h = b.conv(h, 8, 1, zero_point=4)
    return b.op("add", [b.x, h], dict(act="none"), 0.06, 2)


def _mobilenet_v3_block(b: Int8Builder) -> str:
    """Bneck with hard-swish and squeeze-excite (MEAN, 1x1 relu, 1x1, LOGISTIC, MUL), then a head."""
    h = b.op("hard_swish", [b.conv(b.x, 16, 1, zero_point=-10)], None, 0.03, -60)
    h = b.dwconv(h, 3, (2, 2), (0, 1, 0, 1), zero_point=0)
    s = b.op("mean", [h], dict(axes=(1, 2), keepdims=True), 0.02, 1)
    s = b.conv(s, 4, 1, act="relu", zero_point=-128)
    s = b.op("logistic", [b.conv(s, 16, 1)], None, 1 / 256, -128)
    h = b.op("mul", [h, s], dict(act="none"), 0.02, 0)
    h = b.op("hard_swish", [b.conv(h, 8, 1)], None, 0.03, -40)
    pooled = b.op("mean", [h], dict(axes=(1, 2), keepdims=False), 0.02, -30)
    logits = b.weighted("fully_connected", pooled, (5, 8), 0, dict(act="none"), out_scale=0.1)
    return b.op("softmax", [logits], dict(beta=1.0), 1 / 256, -128)


@pytest.mark.parametrize("block", [_mobilenet_v2_block, _mobilenet_v3_block], ids=["v2", "v3"])
def test_mobilenet_blocks_match_both_oracles(block):
    b = Int8Builder((1, 12, 12, 8), scale=0.04, zero_point=-3, seed=11)
    graph = b.done(block(b))
    for seed in range(3):
        _roundtrip(graph, np.random.default_rng(seed).integers(-128, 128, (1, 12, 12, 8), dtype=np.int8))


def test_float_input_quantize_and_dequantize_edges():
    b = Int8Builder((1, 4, 4, 2), dtype="float32")
    q = b.op("quantize", [b.x], None, 0.02, 3)
    y = b.op("dequantize", [b.op("relu", [q], None, 0.02, 3)], None, dtype="float32")
    graph = b.done(y)
    data = export_tflite(graph)
    x = np.random.default_rng(0).uniform(-2, 2, (1, 4, 4, 2)).astype(np.float32)
    imported = load_tflite_bytes(data)
    assert [op.kind for op in imported.ops()] == ["quantize", "relu", "dequantize"]
    np.testing.assert_array_equal(run_litert(data, x), run_tflm(data, x))
    compare_with_oracles(imported, data, x)


# ---- rejections -------------------------------------------------------------------------------

def _tiny(opname="RELU", options=None, in_type=T.INT8, out_type=T.INT8, in_scale=(0.1,), in_zp=(0,),
          num_subgraphs=1, extra=None) -> bytes:
    """A hand-assembled one-op model for error paths; `extra(writer, x, y)` may add inputs."""
    w = TFLiteWriter()
    x = w.add_tensor("x", (1, 4, 4, 2), in_type, scale=in_scale, zero_point=in_zp, axis=3)
    y = w.add_tensor("y", (1, 4, 4, 2), out_type, scale=(0.1,), zero_point=(0,))
    inputs = [x] + (extra(w) if extra else [])
    w.add_operator(opname, inputs, [y], options)
    return w.finish([x], [y], num_subgraphs=num_subgraphs)


def _conv_weights(w, zp=0, scale=(0.01, 0.02)):
    return [w.add_tensor("w", (2, 3, 3, 2), T.INT8, np.ones((2, 3, 3, 2), np.int8), scale, [zp] * len(scale)),
            w.add_tensor("b", (2,), T.INT32, np.zeros(2, np.int32), (0.001, 0.002), (0, 0))]


_CONV_OPTIONS = {"Padding": tflite.Padding.SAME, "StrideH": 1, "StrideW": 1}


@pytest.mark.parametrize("data, error, message", [
    (_tiny("TANH"), UnsupportedError, "op 0 TANH tensor 'y': operator not supported"),
    (_tiny("CONV_2D", ("Conv2DOptions", {**_CONV_OPTIONS, "DilationHFactor": 2}), extra=_conv_weights),
     UnsupportedError, "op 0 CONV_2D tensor 'y': dilation (2, 1)"),
    (_tiny("CONV_2D", ("Conv2DOptions", _CONV_OPTIONS), extra=lambda w: _conv_weights(w, zp=3)),
     UnsupportedError, "non-zero zero point"),
    (_tiny("CONV_2D", ("Conv2DOptions", {**_CONV_OPTIONS, "FusedActivationFunction": 4}), extra=_conv_weights),
     UnsupportedError, "fused activation TANH"),
    (_tiny(in_type=T.INT16), UnsupportedError, "op 0 RELU tensor 'x': INT16 activations are not supported"),
    (_tiny(in_scale=(0.1, 0.2), in_zp=(0, 0)), UnsupportedError, "tensor 'x': per-channel quantized activation"),
    (_tiny(in_scale=None, in_zp=None), ModelError, "int8 tensor without quantization"),
    (_tiny(num_subgraphs=2), UnsupportedError, "2 subgraphs"),
    (_tiny(out_type=T.FLOAT32), UnsupportedError, "int8 input but float32 output"),
    (b"not a flatbuffer at all", ModelError, "not a .tflite file"),
])
def test_rejections_name_operator_index_and_tensor(data, error, message):
    with pytest.raises(error) as info:
        load_tflite_bytes(data, "bad.tflite")
    assert message in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9])
def test_truncated_vww_is_a_model_error(shared_models, keep):
    data = VWW_INT8.read_bytes()
    with pytest.raises(ModelError):
        load_tflite_bytes(data[: int(len(data) * keep)], "vww.tflite")


def test_missing_file_is_a_model_error(tmp_path):
    with pytest.raises(ModelError, match="cannot read"):
        load_tflite(tmp_path / "absent.tflite")


def test_export_rejects_kinds_without_tflite_builtin():
    b = Int8Builder((1, 4, 4, 2))
    graph = b.done(b.op("hard_sigmoid", [b.x], None, 1 / 256, -128))
    with pytest.raises(UnsupportedError, match="hard_sigmoid has no TFLite equivalent"):
        export_tflite(graph)
