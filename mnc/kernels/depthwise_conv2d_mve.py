"""mnc_depthwise_conv2d_mve_s8: 3x3 depthwise, depth multiplier 1, no dilation, any stride, padding
and channel count, on Helium in 16-channel blocks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnc.kernels import conv_fields as cf
from mnc.kernels.base import YES, KernelDescriptor, Params, array, no
from mnc.kernels.call import ConstArray
from mnc.kernels.packing_mve import (
    DW_LANES, DW_SOURCES, DW_WEIGHT_MIN, depthwise_filter, depthwise_group, right_shift_only,
)
from mnc.ops.geometry import window_attrs


@dataclass(frozen=True)
class DepthwiseMveParams(Params):
    in_h: int
    in_w: int
    in_c: int
    out_h: int
    out_w: int
    stride_h: int
    stride_w: int
    pad_top: int
    pad_left: int
    group: int
    right_shift_only: int
    output_offset: int
    act_min: int
    act_max: int
    pad_row: object = array("int8_t")
    filter: object = array("int8_t")


class DepthwiseConv2DMve(KernelDescriptor):
    name = "mnc_depthwise_conv2d_mve_s8"
    params_type = DepthwiseMveParams
    extra_sources = DW_SOURCES
    feature = "mve"

    def check(self, op, graph):
        return cf.all_of(lambda: _supported_window(op, graph),
                         lambda: cf.needs_folded_bias(op, graph, cf.depthwise_taps(graph, op)))

    def params(self, op, graph):
        x = graph.tensor(op.inputs[0]).shape
        stride, pad, _ = window_attrs(op)
        s = cf.stage(op, graph)
        w2d = cf.depthwise_taps(graph, op)
        group = depthwise_group(x[3], stride[1])
        tiled = (np.tile(a, group) for a in (cf.folded_bias(op, graph, w2d), s["multiplier"], s["shift"]))
        return DepthwiseMveParams(
            **cf.depthwise_shapes(op, graph),
            stride_h=stride[0], stride_w=stride[1], pad_top=pad[0], pad_left=pad[2],
            group=group, right_shift_only=int(right_shift_only(s["shift"])), **cf.clamp_fields(s),
            pad_row=ConstArray("pad_row", "int8_t", np.full(x[2] * x[3] + DW_LANES, -s["input_offset"])),
            filter=ConstArray("filter", "int8_t", depthwise_filter(np.tile(w2d, (group, 1)), *tiled)))


def _supported_window(op, graph):
    _, kh, kw, _ = graph.tensor(op.inputs[1]).shape
    _, _, dilation = window_attrs(op)
    if (kh, kw) != (3, 3):
        return no(f"{kh}x{kw} window (the kernel is 3x3 only)")
    if dilation != (1, 1):
        return no("dilated window")
    return lanes_fit(op, graph)


def lanes_fit(op, graph):
    """What both Helium depthwise kernels need: one weight per lane channel (depth multiplier 1) and no
    weight of -128 (two taps' products are summed in int16)."""
    if graph.tensor(op.inputs[1]).shape[3] != graph.tensor(op.inputs[0]).shape[3]:
        return no("depth multiplier other than 1")
    if cf.weights(graph, op).min(initial=0) < DW_WEIGHT_MIN:
        return no("a weight of -128 (pairs of products would overflow int16)")
    return YES


KERNEL = DepthwiseConv2DMve()
