"""fuse_hard_swish: relu6(x + 3) / 6 and x * relu6(x + 3) / 6, as Keras and tf2onnx write them."""

import numpy as np

from mnc.ops import verify_graph
from mnc.passes.fuse_hard_swish import fuse_hard_swish
from tests.passes.builders import Builder, assert_same_float, kinds


def _hard_sigmoid(b: Builder, x: str) -> str:
    r = b.op("relu6", [b.op("add", [x, b.const(np.float32(3.0), "three")], {"act": "none"})])
    return b.op("mul", [r, b.const(np.float32(1 / 6), "sixth")], {"act": "none"})


def test_keras_hard_swish_and_squeeze_excite_gate():
    b = Builder(8)
    x = b.conv(b.input((1, 6, 6, 3)), 4, k=1)
    swish = b.op("mul", [x, _hard_sigmoid(b, x)], {"act": "none"})            # Keras: x * hard_sigmoid(x)
    gate = _hard_sigmoid(b, b.conv(b.op("mean", [swish], {"axes": (1, 2), "keepdims": True}), 4, k=1))
    g = b.output(b.op("mul", [swish, gate], {"act": "none"}))
    fused = fuse_hard_swish(g)
    verify_graph(fused)
    assert kinds(fused) == ["conv2d", "hard_swish", "mean", "conv2d", "hard_sigmoid", "mul"]
    assert_same_float(g, fused, b.sample((1, 6, 6, 3), -4, 4))


def test_tf2onnx_order_x_times_relu6_then_divide():
    b = Builder(9)
    x = b.conv(b.input((1, 5, 5, 2)), 3, k=1)
    r = b.op("relu6", [b.op("add", [b.const(np.float32(3.0), "three"), x], {"act": "none"})])
    g = b.output(b.op("mul", [b.op("mul", [r, x], {"act": "none"}), b.const(np.float32(1 / 6))], {"act": "none"}))
    fused = fuse_hard_swish(g)
    assert kinds(fused) == ["conv2d", "hard_swish"]
    assert_same_float(g, fused, b.sample((1, 5, 5, 2), -4, 4))


def test_other_constants_or_shared_pieces_stay():
    b = Builder(10)
    x = b.conv(b.input((1, 4, 4, 2)), 2, k=1)
    plus_two = b.op("relu6", [b.op("add", [x, b.const(np.float32(2.0))], {"act": "none"})])
    r = b.op("relu6", [b.op("add", [x, b.const(np.float32(3.0))], {"act": "none"})])
    sig = b.op("mul", [r, b.const(np.float32(1 / 6))], {"act": "none"})
    g = b.output(b.op("mul", [plus_two, sig], {"act": "none"}), r)   # r is also a graph output
    assert kinds(fuse_hard_swish(g)) == kinds(g)
