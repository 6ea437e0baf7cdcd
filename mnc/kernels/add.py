"""mnc_add_s8: int8 addition with broadcasting over up to 4 dimensions (TFLite's reference Add)."""

from __future__ import annotations

from dataclasses import dataclass

from mnc.kernels.broadcast import BinaryKernel, BroadcastFields


@dataclass(frozen=True)
class AddParams(BroadcastFields):
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
