"""mnc_fully_connected_dsp_s8: fully connected layer as a DSP-extension (SIMD) GEMM on one row."""

from __future__ import annotations

from dataclasses import dataclass

from mnc.kernels import conv_fields as cf
from mnc.kernels.base import KernelDescriptor, Params, array
from mnc.kernels.packing_dsp import DSP_GEMM_SOURCES, dsp_gemm_params, gemm_groups


@dataclass(frozen=True)
class FullyConnectedDspParams(Params):
    in_size: int
    out_size: int
    groups: int
    output_offset: int
    act_min: int
    act_max: int
    fast_requant: int
    weights: object = array("int32_t")
    quant: object = array("int32_t")
    shift: object = array("int8_t")


class FullyConnectedDsp(KernelDescriptor):
    name = "mnc_fully_connected_dsp_s8"
    params_type = FullyConnectedDspParams
    extra_sources = DSP_GEMM_SOURCES
    feature = "dsp"

    def check(self, op, graph):
        return cf.needs_folded_bias(op, graph, cf.weight_matrix(graph, op))

    def params(self, op, graph):
        w2d = cf.weight_matrix(graph, op)
        gemm = dsp_gemm_params(cf.folded_bias(op, graph, w2d), w2d, cf.stage(op, graph))
        return FullyConnectedDspParams(in_size=w2d.shape[1], out_size=w2d.shape[0], **gemm)

    def scratch_bytes(self, op, graph):
        """8 bytes per group of 4 inputs (see the C source)."""
        return 8 * gemm_groups(cf.weight_matrix(graph, op))


KERNEL = FullyConnectedDsp()
