"""Fold a per-channel Mul/Add by a constant into the conv2d / depthwise_conv2d / fully_connected before it.

Exporters write batch norm out as arithmetic: tf2onnx turns a Keras BatchNormalization it cannot fold
into `Mul(scale) -> Add(shift)` after the depthwise convolution, and some graphs carry a plain
`Add(bias)`. y = conv(x, w) + b, then y * s + t per output channel, is conv(x, w * s) + (b * s + t):
the same float function, with one op and two int8 requantizations fewer -- and the scale no longer
squeezed into an int8 operand of its own. A constant that is not per-channel (a [H, W] mask), an
op with an activation already fused, or a conv output read by anything else stays as it is, and
the Mul/Add is then quantized like any other (its constant as an int8 operand).
"""

from __future__ import annotations

import numpy as np

from mnc.ir import Graph, Op
from mnc.ops import get_op
from mnc.passes.fold_batchnorm import replace_const
from mnc.passes.rewrite import absorb_successor, only_consumer, remove_if_unused

AFFINE_KINDS = ("mul", "add")


def fold_affine(graph: Graph) -> Graph:
    g = graph.copy()
    # One fold per sweep: conv -> mul -> add folds the mul, then the add into the result.
    while any(_try_fold(g, op) for op in g.ops() if op.kind in AFFINE_KINDS):
        pass
    return g


def _try_fold(g: Graph, op: Op) -> bool:
    found = _producer_and_constant(g, op)
    if found is None:
        return False
    producer, const_name = found
    channels = g.tensor(producer.outputs[0]).shape[-1]
    per_channel = _per_channel(g.tensor(const_name).data, g.tensor(producer.outputs[0]).shape, channels)
    if per_channel is None:
        return False
    if op.kind == "mul":
        _scale(g, producer, per_channel)
    else:
        _shift(g, producer, per_channel)
    producer.attrs["act"] = op.attrs.get("act", "none")
    absorb_successor(g, producer, op)
    remove_if_unused(g, const_name)
    return True


def _producer_and_constant(g: Graph, op: Op) -> tuple[Op, str] | None:
    """(the foldable conv-like producer, the constant operand) of a Mul/Add, or None."""
    a, b = op.inputs
    const, act = (b, a) if g.tensor(b).is_const else (a, b) if g.tensor(a).is_const else (None, None)
    if const is None or g.tensor(const).dtype != "float32":
        return None
    producer = g.producer(act)
    if producer is None or get_op(producer.kind).weight_channel_axis is None or only_consumer(g, act) is not op:
        return None
    if producer.attrs.get("act", "none") != "none" or g.tensor(op.outputs[0]).shape != g.tensor(act).shape:
        return None
    weights = [producer.inputs[1], *producer.inputs[2:3]]
    if not all(not n or (g.tensor(n).is_const and g.tensor(n).dtype == "float32") for n in weights):
        return None
    return producer, const


def _per_channel(data: np.ndarray, out_shape: tuple[int, ...], channels: int) -> np.ndarray | None:
    """The constant as one float64 value per output channel, or None if it varies along other axes."""
    if data.ndim > len(out_shape) or any(d != 1 for d in data.shape[:-1]):
        return None
    if data.ndim == 0 or data.shape[-1] == 1:
        return np.full(channels, float(data.reshape(-1)[0]))
    return data.reshape(-1).astype(np.float64) if data.shape[-1] == channels else None


def _scale(g: Graph, producer: Op, s: np.ndarray) -> None:
    w = g.tensor(producer.inputs[1])
    shape = [1] * w.data.ndim
    shape[get_op(producer.kind).weight_channel_axis] = -1
    bias = _bias(g, producer)
    replace_const(g, producer, 1, f"{w.name}_scaled", w.data.astype(np.float64) * s.reshape(shape))
    replace_const(g, producer, 2, f"{producer.name}_bias", bias * s)


def _shift(g: Graph, producer: Op, t: np.ndarray) -> None:
    replace_const(g, producer, 2, f"{producer.name}_bias", _bias(g, producer) + t)


def _bias(g: Graph, producer: Op) -> np.ndarray:
    channels = g.tensor(producer.outputs[0]).shape[-1]
    name = producer.inputs[2] if len(producer.inputs) > 2 else ""
    return g.tensor(name).data.astype(np.float64).reshape(-1) if name else np.zeros(channels)
