"""mnc_mul_s8: int8 multiplication with broadcasting over up to 4 dimensions (TFLite's reference Mul)."""

from __future__ import annotations

from dataclasses import dataclass

from mnc.kernels.base import Params
from mnc.kernels.broadcast import BinaryKernel


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


class Mul(BinaryKernel):
    name = "mnc_mul_s8"
    params_type = MulParams


KERNEL = Mul()
