"""What the conv-family kernel descriptors read off an op: its output stage (the op's own rule),
weights as a matrix, window geometry, and the output-stage fields several params structs share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from mnc.kernels.base import Params, Verdict, YES, no
from mnc.kernels.call import ConstArray
from mnc.ops import get_op
from mnc.ops.geometry import window_attrs
from mnc.ops.requantization import fold_input_offset

if TYPE_CHECKING:
    from mnc.ir import Graph, Op


def stage(op: Op, graph: Graph) -> dict:
    """The op's int8 output stage (multipliers, shifts, offsets, clamp, int32 bias)."""
    return get_op(op.kind).output_stage(op, graph)


def weights(graph: Graph, op: Op) -> np.ndarray:
    return np.asarray(graph.tensor(op.inputs[1]).data, np.int8)


def weight_matrix(graph: Graph, op: Op) -> np.ndarray:
    """[out channels, reduction] int8: OHWI conv weights and [O, N] fully connected weights flattened."""
    w = weights(graph, op)
    return w.reshape(w.shape[0], -1)


def depthwise_taps(graph: Graph, op: Op) -> np.ndarray:
    """[channels, kernel_h * kernel_w] int8: depthwise weights [1, KH, KW, C] with the taps along axis 1."""
    w = weights(graph, op)
    return w.reshape(-1, w.shape[3]).T


def folded_bias(op: Op, graph: Graph, w2d: np.ndarray) -> np.ndarray | None:
    """bias + input_offset * sum(w) per output channel, None when it does not fit int32."""
    s = stage(op, graph)
    return fold_input_offset(s["bias"], w2d, s["input_offset"])


def needs_folded_bias(op: Op, graph: Graph, w2d: np.ndarray) -> Verdict:
    if folded_bias(op, graph, w2d) is None:
        return no("bias + input offset * sum(weights) does not fit int32")
    return YES


def pointwise(op: Op) -> Verdict:
    """A 1x1 window without padding: each output pixel reads one input pixel."""
    stride, pad, _ = window_attrs(op)
    return YES if not any(pad) else no("padded convolution (the kernel reads one unpadded pixel per output)")


def is_1x1(graph: Graph, op: Op) -> Verdict:
    _, kh, kw, _ = graph.tensor(op.inputs[1]).shape
    return YES if (kh, kw) == (1, 1) else no(f"{kh}x{kw} window (the kernel is 1x1 only)")


@dataclass(frozen=True)
class ConvGeometry(Params):
    """The leading fields of every conv2d params struct (what conv_shapes and window_fields fill).
    A kernel's record derives from it and adds its own fields after these, in its struct's order."""

    in_h: int
    in_w: int
    in_c: int
    out_h: int
    out_w: int
    out_c: int
    kernel_h: int
    kernel_w: int
    stride_h: int
    stride_w: int
    pad_top: int
    pad_left: int
    dilation_h: int
    dilation_w: int


def conv_shapes(op: Op, graph: Graph) -> dict[str, int]:
    """in_h, in_w, in_c, out_h, out_w, out_c of a conv2d."""
    x = graph.tensor(op.inputs[0]).shape
    o, _, _, i = graph.tensor(op.inputs[1]).shape
    out = graph.tensor(op.outputs[0]).shape
    return {"in_h": x[1], "in_w": x[2], "in_c": i, "out_h": out[1], "out_w": out[2], "out_c": o}


def depthwise_shapes(op: Op, graph: Graph) -> dict[str, int]:
    """in_h, in_w, in_c, out_h, out_w of a depthwise conv (out_c follows from in_c)."""
    x = graph.tensor(op.inputs[0]).shape
    out = graph.tensor(op.outputs[0]).shape
    return {"in_h": x[1], "in_w": x[2], "in_c": x[3], "out_h": out[1], "out_w": out[2]}


def window_fields(op: Op, graph: Graph) -> dict[str, int]:
    """kernel, stride, top/left pad and dilation fields (bottom/right follow from the output size)."""
    _, kh, kw, _ = graph.tensor(op.inputs[1]).shape
    stride, pad, dilation = window_attrs(op)
    return {"kernel_h": kh, "kernel_w": kw, "stride_h": stride[0], "stride_w": stride[1],
            "pad_top": pad[0], "pad_left": pad[2], "dilation_h": dilation[0], "dilation_w": dilation[1]}


def stride_fields(op: Op) -> dict[str, int]:
    stride, _, _ = window_attrs(op)
    return {"stride_h": stride[0], "stride_w": stride[1]}


def clamp_fields(s: dict) -> dict[str, int]:
    return {"output_offset": s["output_offset"], "act_min": s["act_range"][0], "act_max": s["act_range"][1]}


def portable_stage_fields(s: dict, w: np.ndarray) -> dict:
    """The output-stage fields every portable conv-family params struct shares."""
    return {
        "input_offset": s["input_offset"], **clamp_fields(s),
        "weights": ConstArray("weights", "int8_t", np.asarray(w, np.int8)),
        "bias": ConstArray("bias", "int32_t", s["bias"]),
        "multiplier": ConstArray("multiplier", "int32_t", s["multiplier"]),
        "shift": ConstArray("shift", "int32_t", s["shift"]),
    }


def all_of(*verdicts) -> Verdict:
    """The first failing verdict, or YES. Arguments are callables so later checks run only when needed."""
    for check in verdicts:
        verdict = check()
        if not verdict:
            return verdict
    return YES
