import numpy as np

from mnc import interpreter
from mnc.ops import verify_graph
from mnc.data import synthetic_inputs
from mnc.passes.fuse_pad import fuse_pad
from mnc.passes.quantize import quantize_graph
from tests.passes.builders import Builder, assert_same_float, kinds

X = (1, 7, 7, 3)


def test_pad_folds_into_conv_and_adds_to_its_own_pad():
    b = Builder(1)
    y = b.conv(b.pad(b.input(X), 1, 2, 0, 1), 4, pad=(1, 0, 1, 0))
    g = b.output(y)
    fused = fuse_pad(g)
    verify_graph(fused)
    assert kinds(fused) == ["conv2d"]
    (conv,) = fused.ops()
    assert conv.attrs["pad"] == (2, 2, 1, 1) and conv.meta["fused"] == ["pad"]
    assert conv.inputs[0] == "x"
    assert_same_float(g, fused, b.sample(X))


def test_asymmetric_pad_before_strided_depthwise():
    b = Builder(2)
    g = b.output(b.dw(b.pad(b.input((1, 8, 8, 3)), 0, 1, 0, 1), stride=2))
    fused = fuse_pad(g)
    verify_graph(fused)
    assert kinds(fused) == ["depthwise_conv2d"]
    assert fused.ops()[0].attrs["pad"] == (0, 1, 0, 1)
    assert_same_float(g, fused, b.sample((1, 8, 8, 3)))


def test_pad_read_by_two_convs_folds_into_both():
    b = Builder(3)
    p = b.pad(b.input(X), 1, 1, 1, 1)
    g = b.output(b.conv(p, 2), b.conv(p, 3, k=1))
    fused = fuse_pad(g)
    verify_graph(fused)
    assert kinds(fused) == ["conv2d", "conv2d"]
    assert_same_float(g, fused, b.sample(X))


def test_pad_never_folds_into_avg_pool():
    # avg_pool divides by the in-bounds count: padded zeros would change the average
    b = Builder(4)
    g = b.output(b.pool("avg_pool2d", b.pad(b.input(X), 1, 1, 1, 1), k=3, stride=2))
    assert kinds(fuse_pad(g)) == ["pad", "avg_pool2d"]


def test_pad_folds_into_max_pool_only_after_relu():
    b = Builder(5)
    x = b.input(X)
    signed = b.pool("max_pool2d", b.pad(x, 1, 1, 1, 1), k=3, stride=2)
    relu = b.op("relu", [b.conv(x, 3, pad=(1, 1, 1, 1))])
    positive = b.pool("max_pool2d", b.pad(relu, 1, 1, 1, 1), k=3, stride=2)
    g = b.output(signed, positive)
    fused = fuse_pad(g)
    verify_graph(fused)
    assert kinds(fused).count("pad") == 1
    pools = {op.outputs[0]: op for op in fused.ops() if op.kind == "max_pool2d"}
    assert pools[positive].attrs["pad"] == (1, 1, 1, 1)
    assert pools[signed].attrs.get("pad", (0, 0, 0, 0)) == (0, 0, 0, 0)
    assert_same_float(g, fused, b.sample(X))


def test_max_pool_window_made_only_of_padding_is_not_fused():
    b = Builder(6)
    relu = b.op("relu", [b.input(X)])
    g = b.output(b.pool("max_pool2d", b.pad(relu, 2, 0, 0, 0), k=2, stride=1))
    assert kinds(fuse_pad(g)) == ["relu", "pad", "max_pool2d"]


def test_channel_padding_is_not_fused():
    b = Builder(7)
    p = b.op("pad", [b.input(X)], {"pads": ((0, 0), (1, 1), (1, 1), (0, 2))})
    g = b.output(b.conv(p, 2))
    assert kinds(fuse_pad(g)) == ["pad", "conv2d"]


def test_pad_that_is_a_graph_output_stays():
    b = Builder(8)
    p = b.pad(b.input(X), 1, 1, 1, 1)
    g = b.output(b.conv(p, 2), p)
    assert kinds(fuse_pad(g)) == ["pad", "conv2d"]


def test_int8_pad_folds_bit_exactly():
    # int8 pad writes the zero point; the fused int8 conv skips padded taps: same bytes.
    b = Builder(9)
    g = b.output(b.dw(b.conv(b.pad(b.input((1, 9, 9, 3)), 1, 1, 1, 1), 4, stride=2), pad=(1, 1, 1, 1)))
    q = quantize_graph(g, synthetic_inputs((1, 9, 9, 3), 4, seed=0))
    fused = fuse_pad(q)
    verify_graph(fused)
    assert kinds(fused) == ["conv2d", "depthwise_conv2d"]
    x = q.tensor("x").quant.quantize(b.sample((1, 9, 9, 3)))
    before = interpreter.run_single(q, x, mode="int8")
    after = interpreter.run_single(fused, x, mode="int8")
    assert np.array_equal(before, after)
