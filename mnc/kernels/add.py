"""mnc_add_s8: int8 addition with broadcasting over up to 4 dimensions (TFLite's reference Add)."""

from __future__ import annotations

from dataclasses import dataclass

from mnc.kernels.base import Params
from mnc.kernels.broadcast import BinaryKernel


@dataclass(frozen=True)
class AddParams(Params):
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
    left_shift: int
    in0_multiplier: int
    in0_shift: int
    in1_multiplier: int
    in1_shift: int
    output_multiplier: int
    output_shift: int
    act_min: int
    act_max: int


class Add(BinaryKernel):
    name = "mnc_add_s8"
    params_type = AddParams


KERNEL = Add()
