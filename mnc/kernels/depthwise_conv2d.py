"""mnc_depthwise_conv2d_s8: portable depthwise convolution, any window, stride, padding, dilation and
depth multiplier."""

from __future__ import annotations

from dataclasses import dataclass

from mnc.kernels import conv_fields as cf
from mnc.ops.depthwise_conv2d import depth_multiplier
from mnc.kernels.base import KernelDescriptor, Params, array


@dataclass(frozen=True)
class DepthwiseParams(Params):
    in_h: int
    in_w: int
    in_c: int
    out_h: int
    out_w: int
    depth_multiplier: int
    kernel_h: int
    kernel_w: int
    stride_h: int
    stride_w: int
    pad_top: int
    pad_left: int
    dilation_h: int
    dilation_w: int
    input_offset: int
    output_offset: int
    act_min: int
    act_max: int
    weights: object = array("int8_t")
    bias: object = array("int32_t")
    multiplier: object = array("int32_t")
    shift: object = array("int32_t")


class DepthwiseConv2D(KernelDescriptor):
    name = "mnc_depthwise_conv2d_s8"
    params_type = DepthwiseParams

    def params(self, op, graph):
        return DepthwiseParams(**cf.depthwise_shapes(op, graph),
                               depth_multiplier=depth_multiplier(op, graph), **cf.window_fields(op, graph),
                               **cf.portable_stage_fields(cf.stage(op, graph), cf.weights(graph, op)))


KERNEL = DepthwiseConv2D()
