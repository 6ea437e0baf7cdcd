"""mnc_depthwise_kxk_mve_s8: depthwise convolution with any window (5x5, 7x7, dilated 3x3; depth
multiplier 1) on Helium, one window at a time in 16-channel blocks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnc.kernels import conv_fields as cf
from mnc.kernels.base import KernelDescriptor, Params, array, no
from mnc.kernels.call import ConstArray
from mnc.kernels.depthwise_conv2d_mve import lanes_fit
from mnc.kernels.packing_mve import DW_SOURCES, depthwise_filter, right_shift_only

MAX_TAPS = 64          # MNC_DW_KXK_MAX_TAPS: the tap pointers live on the stack


@dataclass(frozen=True)
class DepthwiseKxkMveParams(Params):
    in_h: int
    in_w: int
    in_c: int
    out_h: int
    out_w: int
    kernel_h: int
    kernel_w: int
    stride_h: int
    stride_w: int
    pad_top: int
    pad_left: int
    dilation_h: int
    dilation_w: int
    right_shift_only: int
    output_offset: int
    act_min: int
    act_max: int
    pad_row: object = array("int8_t")
    filter: object = array("int8_t")


class DepthwiseKxkMve(KernelDescriptor):
    name = "mnc_depthwise_kxk_mve_s8"
    params_type = DepthwiseKxkMveParams
    extra_sources = DW_SOURCES
    feature = "mve"

    def check(self, op, graph):
        return cf.all_of(lambda: _supported(op, graph),
                         lambda: cf.needs_folded_bias(op, graph, cf.depthwise_taps(graph, op)))

    def params(self, op, graph):
        shapes = cf.depthwise_shapes(op, graph)
        s = cf.stage(op, graph)
        w2d = cf.depthwise_taps(graph, op)
        window = cf.window_fields(op, graph)
        return DepthwiseKxkMveParams(
            **shapes, **window,
            right_shift_only=int(right_shift_only(s["shift"])), **cf.clamp_fields(s),
            pad_row=ConstArray("pad_row", "int8_t", np.full(shapes["in_c"], -s["input_offset"])),
            filter=ConstArray("filter", "int8_t", depthwise_filter(w2d, cf.folded_bias(op, graph, w2d),
                                                                   s["multiplier"], s["shift"])))


def _supported(op, graph):
    _, kh, kw, _ = graph.tensor(op.inputs[1]).shape
    if kh * kw > MAX_TAPS:
        return no(f"{kh}x{kw} window (at most {MAX_TAPS} taps)")
    return lanes_fit(op, graph)


KERNEL = DepthwiseKxkMve()
