import warnings

import numpy as np
import pytest

from mnc import interpreter
from mnc.ops import verify_graph
from mnc.data import CalibrationWarning, synthetic_inputs
from mnc.passes.pipeline import optimize, run_pipeline
from mnc.passes.quantize import is_quantized, quantize_graph
from tests.passes.builders import Builder, cosine

X = (1, 16, 16, 3)


def small_mobilenet(seed: int = 0):
    """conv-bn-relu6, padded strided depthwise, pointwise, global pool, classifier."""
    b = Builder(seed)
    h = b.op("relu6", [b.bn(b.conv(b.input(X), 8, stride=2, pad=(0, 1, 0, 1), bias=False))])
    h = b.op("relu6", [b.bn(b.dw(b.pad(h, 1, 1, 1, 1), stride=2))])
    h = b.op("relu6", [b.bn(b.conv(h, 16, k=1, bias=False))])
    h = b.op("mean", [h], {"axes": (1, 2), "keepdims": True})
    return b, b.output(b.fc(h, 10))


def int8_vs_float(float_graph, int8_graph, inputs) -> float:
    out_q = int8_graph.tensor(int8_graph.outputs[0]).quant
    in_q = int8_graph.tensor(int8_graph.inputs[0]).quant
    ref, got = [], []
    for x in inputs:
        ref.append(interpreter.run_single(float_graph, x))
        got.append(out_q.dequantize(interpreter.run_single(int8_graph, in_q.quantize(x), "int8")))
    return cosine(np.concatenate(ref), np.concatenate(got))


@pytest.mark.parametrize("method", ["minmax", "percentile", "mse"])
def test_int8_graph_tracks_float(method):
    _, g = small_mobilenet()
    opt = optimize(g)
    q = quantize_graph(opt, synthetic_inputs(X, 8, seed=0), method=method)
    verify_graph(q)
    held_out = synthetic_inputs(X, 6, seed=123)
    assert int8_vs_float(opt, q, held_out) >= 0.99
    assert q.meta["calibration"] == {"method": method, "samples": 8, "bias_correction": False}


def test_quantized_graph_is_all_integer():
    _, g = small_mobilenet()
    q = quantize_graph(optimize(g), synthetic_inputs(X, 4, seed=0))
    assert is_quantized(q)
    for t in q.tensors():
        assert t.dtype in ("int8", "int32"), t.name
        assert t.quant is not None, t.name
        if not t.is_const:
            assert t.dtype == "int8" and t.quant.scale.size == 1
    for op in q.ops():
        if op.kind in ("conv2d", "depthwise_conv2d", "fully_connected"):
            w, bias = q.tensor(op.inputs[1]), q.tensor(op.inputs[2])
            assert w.dtype == "int8" and w.quant.per_channel and np.all(w.quant.zero_point == 0)
            assert bias.dtype == "int32"


def test_input_range_covers_the_calibration_data():
    _, g = small_mobilenet()
    samples = synthetic_inputs(X, 4, seed=0)
    q = quantize_graph(optimize(g), samples, method="percentile", percentile=90.0)
    scale, zp = q.tensor("x").quant.single()
    lo, hi = (-128 - zp) * scale, (127 - zp) * scale
    assert lo <= samples.min() + scale and hi >= samples.max() - scale


def test_already_quantized_graph_is_left_alone():
    _, g = small_mobilenet()
    q = quantize_graph(optimize(g), synthetic_inputs(X, 2, seed=0))
    again = quantize_graph(q, np.zeros((0, *X), np.float32))
    assert [t.quant.single() for t in again.tensors() if not t.is_const] == \
        [t.quant.single() for t in q.tensors() if not t.is_const]


def test_pipeline_on_a_float_model():
    _, g = small_mobilenet()
    with pytest.warns(CalibrationWarning, match="synthetic"):
        q = run_pipeline(g, calibration=None, method="minmax", seed=3)
    assert [op.kind for op in q.ops()] == ["conv2d", "depthwise_conv2d", "conv2d", "mean", "fully_connected"]
    assert [op.attrs.get("act") for op in q.ops()][:3] == ["relu6"] * 3
    assert q.ops()[1].attrs["pad"] == (1, 1, 1, 1)
    assert int8_vs_float(optimize(g), q, synthetic_inputs(X, 4, seed=99)) >= 0.99


def test_pipeline_skips_quantization_of_int8_models(tmp_path):
    _, g = small_mobilenet()
    q = quantize_graph(optimize(g), synthetic_inputs(X, 2, seed=0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = run_pipeline(q, calibration=tmp_path / "never-read")   # a bad path is not even opened
    assert [op.kind for op in out.ops()] == [op.kind for op in q.ops()]


def test_a_bias_shared_by_two_convs_is_quantized_for_each():
    """TFLite stores equal constants once (the `+ 3` bias of every squeeze-excite gate of a Keras
    MobileNetV3); an int32 bias's scale is the op's input scale times its weight scales, so each conv
    needs its own int32 copy, each dequantizing back to the shared float bias."""
    b = Builder(3)
    x = b.input((1, 4, 4, 8))
    shared = b.const(np.full(8, 3.0, np.float32), "plus_three")
    first = b.op("conv2d", [x, b.weights((8, 1, 1, 8)), shared], {"stride": (1, 1), "pad": (0, 0, 0, 0)})
    scaled = b.op("mul", [first, b.const(np.float32(4.0), "four")])
    b.op("conv2d", [scaled, b.weights((8, 1, 1, 8)), shared], {"stride": (1, 1), "pad": (0, 0, 0, 0)})
    g = b.output(b.g.ops()[-1].outputs[0])
    q = quantize_graph(g, synthetic_inputs((1, 4, 4, 8), 8, seed=0))
    convs = [op for op in q.ops() if op.kind == "conv2d"]
    biases = [q.tensor(op.inputs[2]) for op in convs]
    assert biases[0].name != biases[1].name
    for op, bias in zip(convs, biases):
        in_scale = q.tensor(op.inputs[0]).quant.single()[0]
        assert np.allclose(bias.quant.scale, np.float32(in_scale) * q.tensor(op.inputs[1]).quant.scale)
        assert np.allclose(bias.quant.dequantize(bias.data), 3.0, atol=float(bias.quant.scale.max()))
    held_out = synthetic_inputs((1, 4, 4, 8), 6, seed=9)
    assert int8_vs_float(g, q, held_out) >= 0.99
