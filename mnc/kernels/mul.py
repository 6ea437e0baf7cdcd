"""mnc_mul_s8: int8 multiplication with broadcasting over up to 4 dimensions (TFLite's reference Mul)."""

from __future__ import annotations

from dataclasses import dataclass

from mnc.kernels.base import COMMON_HEADER, KernelDescriptor, Params
from mnc.kernels.broadcast import binary_check, binary_fields


@dataclass(frozen=True)
class MulParams(Params):
    dim0: int
    dim1: int
    dim2: int
    dim3: int
    in0_stride0: int
    in0_stride1: int
    in0_stride2: int
    in0_stride3: int
    in1_stride0: int
    in1_stride1: int
    in1_stride2: int
    in1_stride3: int
    in0_offset: int
    in1_offset: int
    output_offset: int
    output_multiplier: int
    output_shift: int
    act_min: int
    act_max: int


class Mul(KernelDescriptor):
    name = "mnc_mul_s8"
    params_type = MulParams
    extra_sources = (COMMON_HEADER,)

    def check(self, op, graph):
        return binary_check(op, graph)

    def params(self, op, graph):
        return MulParams(**binary_fields(op, graph))

    def inputs(self, op):
        return list(op.inputs)


KERNEL = Mul()
