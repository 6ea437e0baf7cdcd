"""Recognise hard-sigmoid and hard-swish written out as arithmetic, and make them the single ops.

Keras (keras.applications MobileNetV3) and tf2onnx write hard_sigmoid(x) = relu6(x + 3) * (1/6)
(or / 6, which the importers turn into * (1/6)) and hard_swish(x) = x * hard_sigmoid(x), also in the
order (x * relu6(x + 3)) * (1/6). Quantizing the pieces would give each intermediate its own int8
scale and three requantizations; the single `hard_sigmoid` / `hard_swish` ops compute the same
float function with one table lookup. A chain whose intermediate results are read elsewhere is left
alone (the pieces are then quantized one by one).
"""

from __future__ import annotations

import numpy as np

from mnc.ir import Graph, Op
from mnc.passes.rewrite import only_consumer, remove_if_unused

SIXTH = 1.0 / 6.0


def fuse_hard_swish(graph: Graph) -> Graph:
    g = graph.copy()
    while any(_try_fuse(g, op) for op in g.ops() if op.kind == "add"):
        pass
    return g


def _try_fuse(g: Graph, add: Op) -> bool:
    """From an `x + 3` feeding a relu6: the hard_sigmoid or hard_swish it starts, replaced."""
    x = _other_input(g, add, 3.0)
    relu6 = only_consumer(g, add.outputs[0]) if x is not None and add.attrs.get("act", "none") == "none" else None
    if relu6 is None or relu6.kind != "relu6":
        return False
    after = only_consumer(g, relu6.outputs[0])
    if after is None or after.kind != "mul" or after.attrs.get("act", "none") != "none":
        return False
    if _other_input(g, after, SIXTH) is not None:             # relu6(x + 3) * (1/6) ...
        swish = only_consumer(g, after.outputs[0])
        if swish is not None and swish.kind == "mul" and _other(swish, after.outputs[0]) == x \
                and swish.attrs.get("act", "none") == "none":  # ... * x
            return _replace(g, [add, relu6, after, swish], "hard_swish", x)
        return _replace(g, [add, relu6, after], "hard_sigmoid", x)
    if _other(after, relu6.outputs[0]) == x:                   # (x * relu6(x + 3)) ...
        scale = only_consumer(g, after.outputs[0])
        if scale is not None and scale.kind == "mul" and _other_input(g, scale, SIXTH) is not None \
                and scale.attrs.get("act", "none") == "none":   # ... * (1/6)
            return _replace(g, [add, relu6, after, scale], "hard_swish", x)
    return False


def _other(op: Op, name: str) -> str | None:
    """The input of a binary op that is not `name` (None if `name` is not exactly one of them)."""
    a, b = op.inputs
    return b if a == name and b != name else a if b == name and a != name else None


def _other_input(g: Graph, op: Op, value: float) -> str | None:
    """For a binary op with a float scalar constant operand equal to `value`: the other input."""
    for const, other in (op.inputs, op.inputs[::-1]):
        t = g.tensor(const)
        if t.is_const and t.dtype == "float32" and t.data.size == 1 and not g.tensor(other).is_const \
                and np.isclose(float(t.data.reshape(-1)[0]), value, rtol=1e-6, atol=0):
            return other
    return None


def _replace(g: Graph, chain: list[Op], kind: str, x: str) -> bool:
    last = chain[-1]
    if g.tensor(last.outputs[0]).shape != g.tensor(x).shape:
        return False
    out, consts = last.outputs[0], [n for op in chain for n in op.inputs if g.tensor(n).is_const]
    meta = {**chain[0].meta, "fused": [op.kind for op in chain]}
    for op in reversed(chain):
        g.remove_op(op)
    for op in chain[:-1]:
        remove_if_unused(g, op.outputs[0])
    for name in consts:
        remove_if_unused(g, name)
    g.add_op(kind, [x], [out], {}, name=chain[0].name, meta=meta)
    return True
