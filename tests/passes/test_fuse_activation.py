import numpy as np
import pytest

from mnc import interpreter
from mnc.ir import QuantParams
from mnc.ops import verify_graph
from mnc.data import synthetic_inputs
from mnc.passes.fuse_activation import combine, fuse_activation
from mnc.passes.quantize import quantize_graph
from tests.passes.builders import Builder, assert_same_float, kinds

X = (1, 6, 6, 3)


@pytest.mark.parametrize("act", ["relu", "relu6"])
def test_activation_fuses_into_conv_depthwise_and_fc(act):
    b = Builder(1)
    h = b.op(act, [b.conv(b.input(X), 4, pad=(1, 1, 1, 1))])
    h = b.op(act, [b.dw(h, stride=2)])
    g = b.output(b.op(act, [b.fc(h, 3)]))
    fused = fuse_activation(g)
    verify_graph(fused)
    assert kinds(fused) == ["conv2d", "depthwise_conv2d", "fully_connected"]
    assert all(op.attrs["act"] == act and op.meta["fused"] == [act] for op in fused.ops())
    assert fused.outputs == g.outputs
    assert_same_float(g, fused, 3 * b.sample(X))


def test_activation_fuses_into_add_and_pools():
    b = Builder(2)
    x = b.input(X)
    s = b.op("relu6", [b.op("add", [b.conv(x, 3, pad=(1, 1, 1, 1)), x])])
    m = b.op("relu", [b.pool("max_pool2d", s)])
    g = b.output(b.op("relu", [b.pool("avg_pool2d", m, k=3, stride=1)]))
    fused = fuse_activation(g)
    verify_graph(fused)
    assert kinds(fused) == ["conv2d", "add", "max_pool2d", "avg_pool2d"]
    assert [op.attrs.get("act") for op in fused.ops()] == ["none", "relu6", "relu", "relu"]
    assert_same_float(g, fused, 4 * b.sample(X))


def test_no_fusion_when_the_pre_activation_value_is_used_elsewhere():
    b = Builder(3)
    c = b.conv(b.input(X), 3)
    g = b.output(b.op("relu", [c]), c)
    assert kinds(fuse_activation(g)) == ["conv2d", "relu"]
    b2 = Builder(3)
    c2 = b2.conv(b2.input(X), 3)
    g2 = b2.output(b2.op("relu", [c2]), b2.conv(c2, 2, k=1))
    assert sorted(kinds(fuse_activation(g2))) == ["conv2d", "conv2d", "relu"]


def test_no_fusion_into_ops_without_an_act_attr():
    b = Builder(4)
    g = b.output(b.op("relu", [b.pad(b.input(X), 1, 1, 1, 1)]))
    assert kinds(fuse_activation(g)) == ["pad", "relu"]


def test_stacked_activations_merge():
    b = Builder(5)
    g = b.output(b.op("relu", [b.op("relu6", [b.op("relu", [b.conv(b.input(X), 3)])])]))
    fused = fuse_activation(g)
    assert kinds(fused) == ["conv2d"] and fused.ops()[0].attrs["act"] == "relu6"
    assert_same_float(g, fused, 5 * b.sample(X))


def test_combine():
    assert combine("none", "relu") == "relu"
    assert combine("relu", "relu6") == combine("relu6", "relu") == "relu6"


def _quantized_conv_relu():
    b = Builder(6)
    g = b.output(b.op("relu", [b.conv(b.input(X), 4, pad=(1, 1, 1, 1))]))
    return b, quantize_graph(g, synthetic_inputs(X, 4, seed=1))


def test_int8_fusion_needs_matching_quantization():
    _, q = _quantized_conv_relu()
    # TFLite-style quantization gave the relu its own (narrower) output range: fusing would
    # skip a requantization, so the pair must stay.
    conv, relu = q.ops()
    assert q.tensor(conv.outputs[0]).quant.scale[0] != q.tensor(relu.outputs[0]).quant.scale[0]
    assert kinds(fuse_activation(q)) == ["conv2d", "relu"]


def test_int8_fusion_is_bit_exact_when_quantization_matches():
    b, q = _quantized_conv_relu()
    conv, relu = q.ops()
    src = q.tensor(relu.outputs[0]).quant
    q.tensor(conv.outputs[0]).quant = QuantParams(src.scale.copy(), src.zero_point.copy())
    fused = fuse_activation(q)
    verify_graph(fused)
    assert kinds(fused) == ["conv2d"]
    x = q.tensor("x").quant.quantize(3 * b.sample(X))
    assert np.array_equal(interpreter.run_single(q, x, "int8"), interpreter.run_single(fused, x, "int8"))
