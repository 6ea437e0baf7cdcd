"""fold_affine: Mul/Add by per-channel constants after a conv-like op fold into its weights and bias."""

import numpy as np

from mnc.ops import verify_graph
from mnc.passes.fold_affine import fold_affine
from mnc.passes.pipeline import run_pipeline
from tests.passes.builders import Builder, assert_same_float, kinds


def test_depthwise_mul_add_clip_folds_to_one_depthwise_relu6():
    """What tf2onnx writes for an unfolded Keras batch norm: dw -> Mul(scale) -> Add(shift) -> Clip."""
    b = Builder(4)
    h = b.dw(b.input((1, 6, 6, 4)), pad=(1, 1, 1, 1))
    h = b.op("mul", [h, b.const(b.rng.uniform(0.5, 2.0, (1, 1, 1, 4)), "scale")], {"act": "none"})
    h = b.op("add", [b.const(b.rng.normal(0, 0.3, (4,)), "shift"), h], {"act": "none"})   # const first
    g = b.output(b.op("relu6", [h]))
    folded = fold_affine(g)
    verify_graph(folded)
    assert kinds(folded) == ["depthwise_conv2d", "relu6"]
    assert not any(t.name.startswith(("scale", "shift")) for t in folded.tensors())
    assert_same_float(g, folded, b.sample((1, 6, 6, 4)))


def test_scalar_mul_into_bias_free_conv_and_fc():
    b = Builder(5)
    h = b.op("mul", [b.conv(b.input((1, 5, 5, 2)), 3, k=1, bias=False), b.const(np.float32(0.5))], {"act": "none"})
    y = b.op("add", [b.fc(h, 4), b.const(b.rng.normal(0, 0.3, (1, 4)), "fc_shift")], {"act": "relu"})
    g = b.output(y)
    folded = fold_affine(g)
    assert kinds(folded) == ["conv2d", "fully_connected"]
    (fc,) = [op for op in folded.ops() if op.kind == "fully_connected"]
    assert fc.attrs["act"] == "relu"   # the Add's fused activation moves onto the fc
    assert_same_float(g, folded, b.sample((1, 5, 5, 2)))


def test_what_is_not_per_channel_or_not_alone_stays():
    b = Builder(6)
    x = b.input((1, 4, 4, 3))
    spatial = b.op("mul", [b.conv(x, 3, k=1), b.const(b.rng.normal(size=(1, 4, 4, 1)), "mask")], {"act": "none"})
    shared = b.conv(x, 3, k=1)
    both = b.op("add", [shared, b.const(np.ones(3), "one")], {"act": "none"})
    g = b.output(b.op("add", [spatial, b.op("add", [both, shared], {"act": "none"})], {"act": "none"}))
    assert kinds(fold_affine(g)) == kinds(g)


def test_conv_mul_add_clip_quantizes_without_internal_error():
    """The issue's reproducer: a Mul/Add that cannot fold (it follows a relu) is quantized with an int8
    constant operand instead of failing on a missing scale."""
    b = Builder(7)
    h = b.conv(b.input((1, 6, 6, 3)), 4, act="relu")
    h = b.op("mul", [h, b.const(b.rng.uniform(0.5, 2.0, (4,)), "scale")], {"act": "none"})
    y = b.op("relu6", [b.op("add", [h, b.const(b.rng.normal(0, 0.3, (4,)), "shift")], {"act": "none"})])
    q = run_pipeline(b.output(y), calibration=None, seed=1)
    consts = [q.tensor(op.inputs[1]) for op in q.ops() if op.kind in ("mul", "add")]
    assert consts and all(t.dtype == "int8" and t.quant is not None for t in consts)
