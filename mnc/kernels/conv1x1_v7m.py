"""mnc_conv1x1_v7m_s8: pointwise convolution (stride 1, no padding) for ARMv7-M cores without the DSP
extension: the packed-pair SMLAL GEMM straight on the input pixels."""

from __future__ import annotations

from dataclasses import dataclass

from mnc.kernels import conv_fields as cf
from mnc.kernels.base import YES, KernelDescriptor, Params, array, no
from mnc.kernels.call import ConstArray
from mnc.kernels.packing_v7m import GEMM_SOURCES, V7M_FEATURE, pack_channel_pairs, packable, v7m_stage_params


@dataclass(frozen=True)
class Conv1x1V7mParams(Params):
    pixels: int
    in_c: int
    out_c: int
    output_offset: int
    act_min: int
    act_max: int
    fast_requant: int
    weights: object = array("int32_t")
    quant: object = array("int32_t")


class Conv1x1V7m(KernelDescriptor):
    name = "mnc_conv1x1_v7m_s8"
    params_type = Conv1x1V7mParams
    extra_sources = GEMM_SOURCES
    feature = V7M_FEATURE

    def check(self, op, graph):
        w2d = cf.weight_matrix(graph, op)
        return cf.all_of(lambda: cf.is_1x1(graph, op), lambda: cf.pointwise(op), lambda: _stride_one(op),
                         lambda: cf.needs_folded_bias(op, graph, w2d), lambda: packable(w2d))

    def params(self, op, graph):
        w2d = cf.weight_matrix(graph, op)
        out = graph.tensor(op.outputs[0]).shape
        return Conv1x1V7mParams(pixels=out[1] * out[2], in_c=w2d.shape[1], out_c=w2d.shape[0],
                                **v7m_stage_params(cf.folded_bias(op, graph, w2d), w2d, cf.stage(op, graph)),
                                weights=ConstArray("weights", "int32_t", pack_channel_pairs(w2d)))


def _stride_one(op):
    fields = cf.stride_fields(op)
    if (fields["stride_h"], fields["stride_w"]) != (1, 1):
        return no(f"stride {fields['stride_h']}x{fields['stride_w']} (the kernel reads consecutive pixels)")
    return YES


KERNEL = Conv1x1V7m()
