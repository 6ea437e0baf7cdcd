"""mnc_conv2d_s8: portable int8 convolution, any window, stride, padding and dilation."""

from __future__ import annotations

from dataclasses import dataclass

from mnc.kernels import conv_fields as cf
from mnc.kernels.base import KernelDescriptor, array


@dataclass(frozen=True)
class Conv2DParams(cf.ConvGeometry):
    input_offset: int
    output_offset: int
    act_min: int
    act_max: int
    weights: object = array("int8_t")
    bias: object = array("int32_t")
    multiplier: object = array("int32_t")
    shift: object = array("int32_t")


class Conv2D(KernelDescriptor):
    name = "mnc_conv2d_s8"
    params_type = Conv2DParams

    def params(self, op, graph):
        return Conv2DParams(**cf.conv_shapes(op, graph), **cf.window_fields(op, graph),
                            **cf.portable_stage_fields(cf.stage(op, graph), cf.weights(graph, op)))


KERNEL = Conv2D()
