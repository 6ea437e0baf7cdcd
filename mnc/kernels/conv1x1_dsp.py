"""mnc_conv1x1_dsp_s8: pointwise convolution as a DSP-extension (SIMD) GEMM."""

from __future__ import annotations

from dataclasses import dataclass

from mnc.kernels import conv_fields as cf
from mnc.kernels.base import KernelDescriptor, Params, array
from mnc.kernels.packing_dsp import DSP_GEMM_SOURCES, dsp_gemm_params, gemm_groups, round4


@dataclass(frozen=True)
class Conv1x1DspParams(Params):
    in_h: int
    in_w: int
    in_c: int
    out_h: int
    out_w: int
    out_c: int
    stride_h: int
    stride_w: int
    groups: int
    output_offset: int
    act_min: int
    act_max: int
    fast_requant: int
    weights: object = array("int32_t")
    quant: object = array("int32_t")
    shift: object = array("int8_t")


class Conv1x1Dsp(KernelDescriptor):
    name = "mnc_conv1x1_dsp_s8"
    params_type = Conv1x1DspParams
    extra_sources = DSP_GEMM_SOURCES
    feature = "dsp"

    def check(self, op, graph):
        return cf.all_of(lambda: cf.is_1x1(graph, op), lambda: cf.pointwise(op),
                         lambda: cf.needs_folded_bias(op, graph, cf.weight_matrix(graph, op)))

    def params(self, op, graph):
        w2d = cf.weight_matrix(graph, op)
        gemm = dsp_gemm_params(cf.folded_bias(op, graph, w2d), w2d, cf.stage(op, graph))
        return Conv1x1DspParams(**cf.conv_shapes(op, graph), **cf.stride_fields(op), **gemm)

    def scratch_bytes(self, op, graph):
        """16 bytes per group of 4 input channels plus out_c bytes, in whole words (see the C source)."""
        w2d = cf.weight_matrix(graph, op)
        return round4(16 * gemm_groups(w2d) + w2d.shape[0])


KERNEL = Conv1x1Dsp()
