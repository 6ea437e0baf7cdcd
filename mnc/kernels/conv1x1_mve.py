"""mnc_conv1x1_mve_s8: pointwise convolution (and fully connected, one pixel) as a Helium GEMM."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnc.kernels import conv_fields as cf
from mnc.kernels.base import KernelDescriptor, Params, array
from mnc.kernels.call import ConstArray
from mnc.kernels.packing_mve import (
    GEMM_PIXELS, GEMM_SOURCES, gemm_reduction, gemm_weights, quant_fields, right_shift_only,
)


@dataclass(frozen=True)
class Conv1x1MveParams(Params):
    in_h: int
    in_w: int
    in_c: int
    out_h: int
    out_w: int
    out_c: int
    stride_h: int
    stride_w: int
    right_shift_only: int
    output_offset: int
    act_min: int
    act_max: int
    weights: object = array("int8_t")
    quant: object = array("int32_t")


class Conv1x1Mve(KernelDescriptor):
    name = "mnc_conv1x1_mve_s8"
    params_type = Conv1x1MveParams
    extra_sources = GEMM_SOURCES
    feature = "mve"

    def check(self, op, graph):
        if not _is_fully_connected(graph, op):
            shape = cf.all_of(lambda: cf.is_1x1(graph, op), lambda: cf.pointwise(op))
            if not shape:
                return shape
        return cf.needs_folded_bias(op, graph, cf.weight_matrix(graph, op))

    def params(self, op, graph):
        w2d = cf.weight_matrix(graph, op)
        s = cf.stage(op, graph)
        quant = quant_fields(cf.folded_bias(op, graph, w2d), s["multiplier"], s["shift"]).astype(np.int32)
        return Conv1x1MveParams(**_geometry(op, graph), right_shift_only=int(right_shift_only(s["shift"])),
                                **cf.clamp_fields(s), weights=ConstArray("weights", "int8_t", gemm_weights(w2d)),
                                quant=ConstArray("quant", "int32_t", quant))

    def scratch_bytes(self, op, graph):
        """The last blocks' rows, copied when their 16-byte loads would run past the input (in_c not a
        multiple of 16); the C signature always takes a scratch, so 16 unused bytes otherwise."""
        k = cf.weight_matrix(graph, op).shape[1]
        return GEMM_PIXELS * gemm_reduction(k) if k % 16 else 16


def _is_fully_connected(graph, op) -> bool:
    """Weights [O, N]: a fully connected layer, run as the pointwise kernel on one 1x1xN pixel."""
    return len(graph.tensor(op.inputs[1]).shape) == 2


def _geometry(op, graph) -> dict[str, int]:
    if _is_fully_connected(graph, op):
        o, n = graph.tensor(op.inputs[1]).shape
        return {"in_h": 1, "in_w": 1, "in_c": n, "out_h": 1, "out_w": 1, "out_c": o, "stride_h": 1, "stride_w": 1}
    return {**cf.conv_shapes(op, graph), **cf.stride_fields(op)}


KERNEL = Conv1x1Mve()
