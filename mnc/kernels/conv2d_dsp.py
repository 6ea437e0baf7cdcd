"""mnc_conv2d_dsp_s8: any convolution as im2col + DSP-extension (SIMD) GEMM."""

from __future__ import annotations

from dataclasses import dataclass

from mnc.kernels import conv_fields as cf
from mnc.kernels.base import KernelDescriptor, array
from mnc.kernels.packing_dsp import DSP_GEMM_SOURCES, dsp_gemm_params, gemm_groups, round4


@dataclass(frozen=True)
class Conv2DDspParams(cf.ConvGeometry):
    groups: int
    pad_value: int
    output_offset: int
    act_min: int
    act_max: int
    fast_requant: int
    weights: object = array("int32_t")
    quant: object = array("int32_t")
    shift: object = array("int8_t")


class Conv2DDsp(KernelDescriptor):
    name = "mnc_conv2d_dsp_s8"
    params_type = Conv2DDspParams
    extra_sources = DSP_GEMM_SOURCES
    feature = "dsp"

    def check(self, op, graph):
        return cf.needs_folded_bias(op, graph, cf.weight_matrix(graph, op))

    def params(self, op, graph):
        w2d = cf.weight_matrix(graph, op)
        s = cf.stage(op, graph)
        gemm = dsp_gemm_params(cf.folded_bias(op, graph, w2d), w2d, s)
        return Conv2DDspParams(**cf.conv_shapes(op, graph), **cf.window_fields(op, graph),
                               pad_value=-s["input_offset"], **gemm)

    def scratch_bytes(self, op, graph):
        """20 bytes per group of 4 reduction values plus out_c bytes, in whole words (see the C source)."""
        w2d = cf.weight_matrix(graph, op)
        return round4(20 * gemm_groups(w2d) + w2d.shape[0])


KERNEL = Conv2DDsp()
