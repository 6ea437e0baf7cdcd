"""mnc_conv2d_mve_s8: any convolution as im2col + the Helium GEMM core (the first 3x3 layer, padded or
strided non-pointwise layers)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnc.kernels import conv_fields as cf
from mnc.kernels.base import KernelDescriptor, array
from mnc.kernels.call import ConstArray
from mnc.kernels.packing_mve import (
    GEMM_PIXELS, GEMM_SOURCES, gemm_reduction, gemm_weights, quant_fields, right_shift_only,
)

CHUNK_BYTES = 1024     # about this much scratch for the gathered windows (at least one block's)


@dataclass(frozen=True)
class Conv2DMveParams(cf.ConvGeometry):
    pad_value: int
    chunk: int
    right_shift_only: int
    output_offset: int
    act_min: int
    act_max: int
    weights: object = array("int8_t")
    quant: object = array("int32_t")


class Conv2DMve(KernelDescriptor):
    name = "mnc_conv2d_mve_s8"
    params_type = Conv2DMveParams
    extra_sources = GEMM_SOURCES
    feature = "mve"

    def check(self, op, graph):
        return cf.needs_folded_bias(op, graph, cf.weight_matrix(graph, op))

    def params(self, op, graph):
        w2d = cf.weight_matrix(graph, op)
        s = cf.stage(op, graph)
        quant = quant_fields(cf.folded_bias(op, graph, w2d), s["multiplier"], s["shift"]).astype(np.int32)
        return Conv2DMveParams(**cf.conv_shapes(op, graph), **cf.window_fields(op, graph),
                               pad_value=-s["input_offset"], chunk=_chunk(w2d.shape[1]),
                               right_shift_only=int(right_shift_only(s["shift"])), **cf.clamp_fields(s),
                               weights=ConstArray("weights", "int8_t", gemm_weights(w2d)),
                               quant=ConstArray("quant", "int32_t", quant))

    def scratch_bytes(self, op, graph):
        """The gathered windows, plus 16 bytes the last one's 16-byte copies may run past its row."""
        k = cf.weight_matrix(graph, op).shape[1]
        return _chunk(k) * gemm_reduction(k) + 16


def _chunk(k: int) -> int:
    """Output pixels gathered per pass: whole GEMM blocks within about CHUNK_BYTES."""
    return max(1, CHUNK_BYTES // (GEMM_PIXELS * gemm_reduction(k))) * GEMM_PIXELS


KERNEL = Conv2DMve()
