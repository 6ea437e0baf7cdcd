"""mnc_conv2d_v7m_s8: any convolution for ARMv7-M cores without the DSP extension: a two-pixel im2col
and the packed-pair SMLAL GEMM."""

from __future__ import annotations

from dataclasses import dataclass

from mnc.kernels import conv_fields as cf
from mnc.kernels.base import KernelDescriptor, array
from mnc.kernels.call import ConstArray
from mnc.kernels.packing_dsp import round4
from mnc.kernels.packing_v7m import GEMM_SOURCES, V7M_FEATURE, pack_channel_pairs, packable, v7m_stage_params


@dataclass(frozen=True)
class Conv2DV7mParams(cf.ConvGeometry):
    input_zero_point: int
    output_offset: int
    act_min: int
    act_max: int
    fast_requant: int
    weights: object = array("int32_t")
    quant: object = array("int32_t")


class Conv2DV7m(KernelDescriptor):
    name = "mnc_conv2d_v7m_s8"
    params_type = Conv2DV7mParams
    extra_sources = GEMM_SOURCES
    feature = V7M_FEATURE

    def check(self, op, graph):
        w2d = cf.weight_matrix(graph, op)
        return cf.all_of(lambda: cf.needs_folded_bias(op, graph, w2d), lambda: packable(w2d))

    def params(self, op, graph):
        w2d = cf.weight_matrix(graph, op)
        s = cf.stage(op, graph)
        return Conv2DV7mParams(**cf.conv_shapes(op, graph), **cf.window_fields(op, graph),
                               input_zero_point=-s["input_offset"],
                               **v7m_stage_params(cf.folded_bias(op, graph, w2d), w2d, s),
                               weights=ConstArray("weights", "int32_t", pack_channel_pairs(w2d)))

    def scratch_bytes(self, op, graph):
        """Two output pixels' windows (im2col columns) of kernel_h * kernel_w * in_c bytes each."""
        return round4(2 * cf.weight_matrix(graph, op).shape[1])


KERNEL = Conv2DV7m()
