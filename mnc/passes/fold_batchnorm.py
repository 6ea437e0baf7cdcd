"""Fold batch_norm into the conv2d / depthwise_conv2d / fully_connected that feeds it.

y = (conv(x, w) + b - mean) * s + beta with s = gamma / sqrt(var + eps) is conv(x, w * s) + b', with
w scaled along its output-channel axis and b' = (b - mean) * s + beta. A batch_norm with no foldable
producer becomes a 1x1 depthwise convolution with the same per-channel scale and bias, so every
graph that leaves this pass can be quantized (batch_norm has no int8 form).
"""

from __future__ import annotations

import numpy as np

from mnc.ir import Graph, Op, Tensor
from mnc.ops import get_op
from mnc.passes.rewrite import absorb_successor, mark_fused, only_consumer, remove_if_unused


def fold_batchnorm(graph: Graph) -> Graph:
    g = graph.copy()
    for bn in [op for op in g.ops() if op.kind == "batch_norm"]:
        if not _bn_params_constant(g, bn):
            continue
        producer = g.producer(bn.inputs[0])
        if _can_fold(g, producer, bn):
            _fold_into(g, producer, bn)
        elif len(g.tensor(bn.inputs[0]).shape) == 4:
            _to_depthwise(g, bn)
    return g


def _bn_params_constant(g: Graph, bn: Op) -> bool:
    return all(g.tensor(name).is_const for name in bn.inputs[1:5])


def _can_fold(g: Graph, producer: Op | None, bn: Op) -> bool:
    if producer is None or get_op(producer.kind).weight_channel_axis is None:
        return False
    if producer.attrs.get("act", "none") != "none" or only_consumer(g, bn.inputs[0]) is not bn:
        return False
    consts = [producer.inputs[1], *producer.inputs[2:3]]
    return all(not name or (g.tensor(name).is_const and g.tensor(name).dtype == "float32") for name in consts)


def bn_scale_shift(g: Graph, bn: Op) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel (s, t) with batch_norm(x) = x * s + t, in float64."""
    gamma, beta, mean, var = (g.tensor(n).data.astype(np.float64).reshape(-1) for n in bn.inputs[1:5])
    scale = gamma / np.sqrt(var + float(np.float32(bn.attrs.get("eps", 1e-5))))
    return scale, beta - mean * scale


def _fold_into(g: Graph, producer: Op, bn: Op) -> None:
    scale, shift = bn_scale_shift(g, bn)
    w = g.tensor(producer.inputs[1])
    axis = get_op(producer.kind).weight_channel_axis
    shape = [1] * w.data.ndim
    shape[axis] = -1
    new_w = w.data.astype(np.float64) * scale.reshape(shape)
    bias_name = producer.inputs[2] if len(producer.inputs) > 2 else ""
    bias = g.tensor(bias_name).data.astype(np.float64).reshape(-1) if bias_name else 0.0
    replace_const(g, producer, 1, f"{w.name}_bnfold", new_w)
    replace_const(g, producer, 2, f"{bn.name}_bias", bias * scale + shift)
    params = bn.inputs[1:5]
    absorb_successor(g, producer, bn)
    for name in params:
        remove_if_unused(g, name)


def replace_const(g: Graph, op: Op, index: int, base: str, data: np.ndarray) -> None:
    """Give `op` a fresh float32 constant at input `index` (weights may be shared with other ops)."""
    old = op.inputs[index] if len(op.inputs) > index else ""
    meta = dict(g.tensor(old).meta) if old else {}
    name = g.unique_name(base)
    g.add_tensor(Tensor(name, data.shape, "float32", data.astype(np.float32), meta=meta))
    while len(op.inputs) <= index:
        op.inputs.append("")   # an absent optional input; set_input links the new tensor
    g.set_input(op, index, name)
    remove_if_unused(g, old)


def _to_depthwise(g: Graph, bn: Op) -> None:
    scale, shift = bn_scale_shift(g, bn)
    channels = scale.size
    w = g.add_tensor(Tensor(g.unique_name(f"{bn.name}_scale"), (1, 1, 1, channels), "float32",
                            scale.reshape(1, 1, 1, channels).astype(np.float32)))
    b = g.add_tensor(Tensor(g.unique_name(f"{bn.name}_shift"), (channels,), "float32", shift.astype(np.float32)))
    x, y, params = bn.inputs[0], bn.outputs[0], bn.inputs[1:5]
    g.remove_op(bn)
    attrs = {"stride": (1, 1), "pad": (0, 0, 0, 0), "dilation": (1, 1), "depth_multiplier": 1, "act": "none"}
    dw = g.add_op("depthwise_conv2d", [x, w.name, b.name], [y], attrs, name=bn.name, meta=bn.meta)
    mark_fused(dw, "batch_norm")
    for name in params:
        remove_if_unused(g, name)
