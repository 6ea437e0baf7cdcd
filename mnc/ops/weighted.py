"""What conv2d, depthwise_conv2d and fully_connected share besides geometry and requantization:
quantizing their weights and bias, and the float bias and fused activation of their references."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mnc.errors import UnsupportedError
from mnc.ir import Tensor
from mnc.ops.requantization import per_tensor
from mnc.quant import quantize_activation, quantize_bias, quantize_weights_per_channel

if TYPE_CHECKING:
    from mnc.ir import Graph, Op


def quantize_weighted_op(op: Op, graph: Graph, ranges: dict, weight_axis: int) -> None:
    """Per-channel symmetric weights along `weight_axis` (the output channels), int32 bias (created
    as zeros if absent), activation output."""
    w = graph.tensor(op.inputs[1])
    channels = w.shape[weight_axis]
    if w.dtype != "int8":
        quantize_weights_per_channel(graph, w.name, weight_axis)
    bias = ensure_bias(graph, op, channels)
    if graph.tensor(bias).dtype != "int32":
        in_scale, _ = per_tensor(graph, op.inputs[0])
        quantize_bias(graph, bias, in_scale, w.quant.scale)
    quantize_activation(graph, op.outputs[0], ranges[op.outputs[0]])


def ensure_bias(graph: Graph, op: Op, channels: int) -> str:
    """Name of the op's own bias; adds a float zero bias first when the op has none.

    A float bias read by other ops too is copied for this op first: its int32 scale is this op's
    input scale times its weight scales, so one int32 tensor cannot serve two ops. (TFLite's
    converter stores equal constants once: the folded `+ 3` of every squeeze-excite gate of a
    Keras MobileNetV3 is one shared bias tensor.)
    """
    if len(op.inputs) > 2 and op.inputs[2]:
        bias = graph.tensor(op.inputs[2])
        if bias.dtype == "float32" and any(other is not op for other in graph.consumers(bias.name)):
            name = graph.unique_name(f"{op.name}_bias")
            graph.add_tensor(Tensor(name, bias.shape, "float32", bias.data.copy(), meta=dict(bias.meta)))
            graph.set_input(op, 2, name)
        return op.inputs[2]
    name = graph.unique_name(f"{op.name}_bias")
    graph.add_tensor(Tensor(name, (channels,), "float32", np.zeros(channels, np.float32)))
    while len(op.inputs) < 3:
        op.inputs.append("")  # an absent optional input; set_input below links the new one
    graph.set_input(op, 2, name)
    return name


# ---- float helpers ------------------------------------------------------------------------------

def apply_act_float(y: np.ndarray, act: str) -> np.ndarray:
    if act == "relu":
        return np.maximum(y, 0.0)
    if act == "relu6":
        return np.clip(y, 0.0, 6.0)
    if act != "none":
        raise UnsupportedError(f"unsupported fused activation {act!r}")
    return y


def float_bias(inputs: list, channels: int) -> np.ndarray:
    b = inputs[2] if len(inputs) > 2 else None
    return np.zeros(channels, np.float32) if b is None else np.asarray(b, np.float32).reshape(channels)


def input_dtype(graph: Graph, op: Op) -> str:
    return graph.tensor(op.inputs[0]).dtype
