"""Helium (MVE) kernels for Cortex-M55-class targets, chosen at compile time by target.has("mve").

Each `lower_*_mve` returns a KernelCall, or None when the op's shape or numbers fall outside what the
MVE kernel handles, so the op's own lower() falls back to its DSP or portable kernel. Requantization
in the kernels is TFLite's double-rounding MultiplyByQuantizedMultiplier, bit for bit, for every
shift TFLite produces (see templates/kernels/mnc_requant_mve_s8.h); layouts are described in the
kernel headers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mnc.kernels.call import ConstArray, KernelCall
from mnc.ops import conv_common as cc

if TYPE_CHECKING:
    from mnc.ir import Graph, Op
    from mnc.targets import Target

REQUANT_HEADER = "mnc_requant_mve_s8.h"
DW_LANES = 16          # lane channels per depthwise block
DW_SET_OFFSET = [0, 2, 1, 3]   # lane j of accumulator set s holds block lane 4j + DW_SET_OFFSET[s]
DW_TAPS = 9            # the depthwise kernel is 3x3 only
DW_WEIGHT_MIN = -127   # pairs of products fit int16 only if no weight is -128 (TFLite's int8 weight range)


def lower_conv2d_mve(op: Op, graph: Graph, target: Target) -> KernelCall | None:
    """Pad-free 1x1 convolutions (any stride) as an MVE GEMM."""
    if not _wants_mve(target) or not _batch_one(graph, op):
        return None
    w = graph.tensor(op.inputs[1])
    o, kh, kw, i = w.shape
    stride, pad, dilation = cc.window_attrs(op)
    if (kh, kw) != (1, 1) or any(pad):
        return None
    x = graph.tensor(op.inputs[0]).shape
    out = graph.tensor(op.outputs[0]).shape
    geometry = {"in_h": x[1], "in_w": x[2], "in_c": i, "out_h": out[1], "out_w": out[2], "out_c": o,
                "stride_h": stride[0], "stride_w": stride[1]}
    return _gemm_call(op, np.asarray(w.data, np.int8).reshape(o, i), cc.output_stage(graph, op, o), geometry)


def lower_fully_connected_mve(op: Op, graph: Graph, target: Target) -> KernelCall | None:
    """A fully connected layer is the pointwise kernel on one pixel."""
    if not _wants_mve(target):
        return None
    w = graph.tensor(op.inputs[1])
    o, n = w.shape
    # TFLite picks the multiplier rule by the number of weight scales (see conv_common).
    stage = cc.output_stage(graph, op, o, per_channel_rule=False)
    geometry = {"in_h": 1, "in_w": 1, "in_c": n, "out_h": 1, "out_w": 1, "out_c": o, "stride_h": 1, "stride_w": 1}
    return _gemm_call(op, np.asarray(w.data, np.int8), stage, geometry)


def lower_depthwise_mve(op: Op, graph: Graph, target: Target) -> KernelCall | None:
    """3x3 depthwise, depth multiplier 1, no dilation, any stride, padding and channel count."""
    if not _wants_mve(target) or not _batch_one(graph, op):
        return None
    x = graph.tensor(op.inputs[0]).shape
    w = graph.tensor(op.inputs[1])
    _, kh, kw, c = w.shape
    stride, pad, dilation = cc.window_attrs(op)
    weights = np.asarray(w.data, np.int8)
    if (kh, kw) != (3, 3) or c != x[3] or dilation != (1, 1) or weights.min(initial=0) < DW_WEIGHT_MIN:
        return None
    stage = cc.output_stage(graph, op, c)
    w2d = weights.reshape(DW_TAPS, c).T
    folded = cc.fold_input_offset(stage["bias"], w2d, stage["input_offset"])
    if folded is None:
        return None
    out = graph.tensor(op.outputs[0]).shape
    group = depthwise_group(c, stride[1])
    params = {
        "in_h": x[1], "in_w": x[2], "in_c": c, "out_h": out[1], "out_w": out[2],
        "stride_h": stride[0], "stride_w": stride[1], "pad_top": pad[0], "pad_left": pad[2],
        "group": group, "right_shift_only": int(right_shift_only(stage["shift"])),
        "output_offset": stage["output_offset"],
        "act_min": stage["act_range"][0], "act_max": stage["act_range"][1],
        "pad_row": ConstArray("pad_row", "int8_t", np.full(x[2] * c + DW_LANES, -stage["input_offset"])),
        "filter": ConstArray("filter", "int8_t", depthwise_filter(
            np.tile(w2d, (group, 1)), *(np.tile(a, group) for a in (folded, stage["multiplier"], stage["shift"])))),
    }
    return _call("mnc_depthwise_conv2d_mve_s8", params, op)


# ---- layouts --------------------------------------------------------------------------------------

def quant_fields(bias: np.ndarray, mult: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """[channels, 4] int64: bias, multiplier, left shift (>= 0), -right shift (<= 0)."""
    shift = np.asarray(shift, np.int64)
    return np.stack([np.asarray(bias, np.int64), np.asarray(mult, np.int64),
                     np.maximum(shift, 0), np.minimum(shift, 0)], axis=1)


def depthwise_group(channels: int, stride_w: int) -> int:
    """Pixels per 16-lane block: with stride 1 the taps of adjacent pixels are contiguous, so few channels
    (a divisor of 16) fill a block with several pixels."""
    return DW_LANES // channels if stride_w == 1 and channels < DW_LANES and DW_LANES % channels == 0 else 1


def right_shift_only(shift: np.ndarray) -> bool:
    """Whether every channel shifts right by at least 1 (kernels then skip the left shift and the
    per-lane rounding fix-up test)."""
    return bool(np.all(np.asarray(shift) <= -1))


def depthwise_weights(w2d: np.ndarray) -> np.ndarray:
    """[lanes, 9] int8 -> [ceil(lanes/16)][9 taps][16 lanes], zero padded."""
    padded = np.zeros((_round_up(w2d.shape[0], DW_LANES), DW_TAPS), np.int8)
    padded[: w2d.shape[0]] = w2d
    return padded.reshape(-1, DW_LANES, DW_TAPS).transpose(0, 2, 1).reshape(-1)


def depthwise_filter(w2d: np.ndarray, bias: np.ndarray, mult: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Per 16-lane block: its weights (144 bytes) then its quantization records (256 bytes of
    little-endian int32, the Cortex-M byte order), so one pointer walks both."""
    blocks = -(-w2d.shape[0] // DW_LANES)
    weights = depthwise_weights(w2d).reshape(blocks, -1)
    quant = depthwise_quant(bias, mult, shift).astype("<i4").view(np.int8).reshape(blocks, -1)
    return np.concatenate([weights, quant], axis=1).reshape(-1)


def depthwise_quant(bias: np.ndarray, mult: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """[ceil(lanes/16)][lane set][field][4 lanes]: lane j of set s is lane 4j + DW_SET_OFFSET[s] of the
    block (the order VMULLB/T.S8 then VMOVLB/T.S16 produce); padding lanes are all-zero records."""
    fields = quant_fields(bias, mult, shift)
    padded = np.zeros((_round_up(len(fields), DW_LANES), 4), np.int64)
    padded[: len(fields)] = fields
    blocks = padded.reshape(-1, 4, 4, 4)[:, :, DW_SET_OFFSET, :]     # block, lane j, set, field
    return blocks.transpose(0, 2, 3, 1).astype(np.int32).reshape(-1)


# ---- helpers --------------------------------------------------------------------------------------

def _gemm_call(op: Op, w2d: np.ndarray, stage: dict, geometry: dict) -> KernelCall | None:
    folded = cc.fold_input_offset(stage["bias"], w2d, stage["input_offset"])
    if folded is None:
        return None
    params = {
        **geometry,
        "output_offset": stage["output_offset"],
        "act_min": stage["act_range"][0], "act_max": stage["act_range"][1],
        "weights": ConstArray("weights", "int8_t", w2d),
        "quant": ConstArray("quant", "int32_t",
                            quant_fields(folded, stage["multiplier"], stage["shift"]).astype(np.int32)),
    }
    return _call("mnc_conv1x1_mve_s8", params, op)


def _call(kernel: str, params: dict, op: Op) -> KernelCall:
    return KernelCall(kernel=kernel, sources=[f"{kernel}.c", f"{kernel}.h", REQUANT_HEADER],
                      params_type=kernel.replace("_s8", "_params_t"), params=params,
                      inputs=[op.inputs[0]], outputs=[op.outputs[0]])


def _wants_mve(target) -> bool:
    return target is not None and target.has("mve")


def _batch_one(graph: Graph, op: Op) -> bool:
    return graph.tensor(op.inputs[0]).shape[0] == 1


def _round_up(n: int, m: int) -> int:
    return -(-n // m) * m
