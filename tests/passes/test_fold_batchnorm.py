import numpy as np

from mnc.ops import verify_graph
from mnc.passes.fold_batchnorm import fold_batchnorm
from tests.passes.builders import Builder, assert_same_float, kinds


def test_conv_bn_relu_folds_into_conv():
    b = Builder(1)
    y = b.op("relu", [b.bn(b.conv(b.input((1, 8, 8, 3)), 6, pad=(1, 1, 1, 1)))])
    g = b.output(y)
    folded = fold_batchnorm(g)
    verify_graph(folded)
    assert kinds(folded) == ["conv2d", "relu"]
    (conv,) = [op for op in folded.ops() if op.kind == "conv2d"]
    assert conv.meta["fused"] == ["batch_norm"]
    assert not any(t.name.startswith(("gamma", "beta", "mean", "var")) for t in folded.tensors())
    assert kinds(g) == ["conv2d", "batch_norm", "relu"]   # the input graph is untouched
    assert_same_float(g, folded, b.sample((1, 8, 8, 3)))


def test_depthwise_and_fully_connected_fold():
    b = Builder(2)
    h = b.bn(b.dw(b.input((1, 6, 6, 4)), stride=2, pad=(0, 1, 0, 1)))
    y = b.bn(b.fc(h, 5))
    g = b.output(y)
    folded = fold_batchnorm(g)
    verify_graph(folded)
    assert kinds(folded) == ["depthwise_conv2d", "fully_connected"]
    assert_same_float(g, folded, b.sample((1, 6, 6, 4)))


def test_conv_without_bias_gets_one():
    b = Builder(3)
    g = b.output(b.bn(b.conv(b.input((1, 5, 5, 2)), 3, k=1, bias=False)))
    folded = fold_batchnorm(g)
    verify_graph(folded)
    (conv,) = folded.ops()
    assert len(conv.inputs) == 3 and folded.tensor(conv.inputs[2]).shape == (3,)
    assert_same_float(g, folded, b.sample((1, 5, 5, 2)))


def test_shared_weights_are_not_scaled_twice():
    b = Builder(4)
    x = b.input((1, 5, 5, 2))
    w = b.weights((3, 3, 3, 2))
    g = b.output(b.bn(b.conv(x, 3, w=w)), b.bn(b.conv(x, 3, w=w)))
    folded = fold_batchnorm(g)
    verify_graph(folded)
    assert kinds(folded) == ["conv2d", "conv2d"]
    first, second = folded.ops()
    assert first.inputs[1] != second.inputs[1]
    assert not folded.has_tensor(w)
    assert_same_float(g, folded, b.sample((1, 5, 5, 2)))


def test_batch_norm_without_foldable_producer_becomes_depthwise():
    # conv output read twice, so the BN cannot be folded into it; a BN after add has no weights at all.
    b = Builder(5)
    x = b.input((1, 6, 6, 4))
    c = b.conv(x, 4, pad=(1, 1, 1, 1))
    s = b.op("add", [b.bn(c), c])
    g = b.output(b.bn(b.op("relu", [s])))
    folded = fold_batchnorm(g)
    verify_graph(folded)
    assert "batch_norm" not in kinds(folded)
    assert kinds(folded).count("depthwise_conv2d") == 2
    assert all("batch_norm" in op.meta.get("fused", []) for op in folded.ops() if op.kind == "depthwise_conv2d")
    assert_same_float(g, folded, b.sample((1, 6, 6, 4)))


def test_bn_after_fused_activation_is_not_folded_into_the_conv():
    b = Builder(6)
    g = b.output(b.bn(b.conv(b.input((1, 5, 5, 3)), 4, act="relu")))
    folded = fold_batchnorm(g)
    verify_graph(folded)
    assert kinds(folded) == ["conv2d", "depthwise_conv2d"]
    assert_same_float(g, folded, b.sample((1, 5, 5, 3)))


def test_graph_output_name_is_kept():
    b = Builder(7)
    g = b.output(b.bn(b.conv(b.input((1, 4, 4, 2)), 2)))
    folded = fold_batchnorm(g)
    assert folded.outputs == g.outputs
    assert np.array_equal(folded.ops()[0].outputs, g.outputs)



def test_eps_is_part_of_the_folded_scale():
    """A channel with zero variance divides by sqrt(eps) alone: leaving eps out gives inf, and the default
    eps (1e-5, ONNX's and TFLite's) applies when the op does not say."""
    for eps in (0.25, None):
        b = Builder(6)
        y = b.bn(b.conv(b.input((1, 4, 4, 2)), 3, k=1), eps=0.25 if eps else 1e-3)
        g = b.output(y)
        bn = next(op for op in g.ops() if op.kind == "batch_norm")
        g.tensor(bn.inputs[4]).data = np.array([0.0, 1.0, 4.0], np.float32)   # the variances
        if eps is None:
            del bn.attrs["eps"]
        conv_w = g.tensor(next(op for op in g.ops() if op.kind == "conv2d").inputs[1]).data.copy()
        folded = fold_batchnorm(g)
        (conv,) = [op for op in folded.ops() if op.kind == "conv2d"]
        gamma = g.tensor(bn.inputs[1]).data
        scale = gamma / np.sqrt(np.array([0.0, 1.0, 4.0]) + (eps or 1e-5))
        np.testing.assert_allclose(folded.tensor(conv.inputs[1]).data,
                                   conv_w * scale.reshape(-1, 1, 1, 1).astype(np.float32), rtol=1e-6)
        assert_same_float(g, folded, b.sample((1, 4, 4, 2)))
