"""mnc_conv1x1_s8: portable pointwise convolution with the input offset folded into the bias."""

from __future__ import annotations

from dataclasses import dataclass

from mnc.kernels import conv_fields as cf
from mnc.kernels.base import KernelDescriptor, Params, array
from mnc.kernels.call import ConstArray


@dataclass(frozen=True)
class Conv1x1Params(Params):
    in_h: int
    in_w: int
    in_c: int
    out_h: int
    out_w: int
    out_c: int
    stride_h: int
    stride_w: int
    bias_folded: object = array("int32_t")
    output_offset: int
    act_min: int
    act_max: int
    weights: object = array("int8_t")
    multiplier: object = array("int32_t")
    shift: object = array("int32_t")


class Conv1x1(KernelDescriptor):
    name = "mnc_conv1x1_s8"
    params_type = Conv1x1Params

    def check(self, op, graph):
        return cf.all_of(lambda: cf.is_1x1(graph, op), lambda: cf.pointwise(op),
                         lambda: cf.needs_folded_bias(op, graph, cf.weight_matrix(graph, op)))

    def params(self, op, graph):
        s = cf.stage(op, graph)
        folded = cf.folded_bias(op, graph, cf.weight_matrix(graph, op))
        return Conv1x1Params(**cf.conv_shapes(op, graph), **cf.stride_fields(op),
                             bias_folded=ConstArray("bias", "int32_t", folded), **cf.clamp_fields(s),
                             weights=ConstArray("weights", "int8_t", cf.weights(graph, op)),
                             multiplier=ConstArray("multiplier", "int32_t", s["multiplier"]),
                             shift=ConstArray("shift", "int32_t", s["shift"]))


KERNEL = Conv1x1()
