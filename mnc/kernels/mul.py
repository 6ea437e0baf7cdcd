"""mnc_mul_s8: int8 multiplication with broadcasting over up to 4 dimensions (TFLite's reference Mul)."""

from __future__ import annotations

from dataclasses import dataclass

from mnc.kernels.broadcast import BinaryKernel, BroadcastFields


@dataclass(frozen=True)
class MulParams(BroadcastFields):
    output_multiplier: int
    output_shift: int
    act_min: int
    act_max: int


class Mul(BinaryKernel):
    name = "mnc_mul_s8"
    params_type = MulParams


KERNEL = Mul()
