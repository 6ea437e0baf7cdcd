"""mnc_max_pool_s8: int8 max pooling over a window with stride and padding (TFLite's reference)."""

from __future__ import annotations

from dataclasses import dataclass

from mnc.kernels.base import COMMON_HEADER, KernelDescriptor, Params
from mnc.kernels.pool_fields import pool_check, pool_fields


@dataclass(frozen=True)
class MaxPoolParams(Params):
    in_h: int
    in_w: int
    channels: int
    out_h: int
    out_w: int
    kernel_h: int
    kernel_w: int
    stride_h: int
    stride_w: int
    pad_top: int
    pad_left: int
    act_min: int
    act_max: int


class MaxPool(KernelDescriptor):
    name = "mnc_max_pool_s8"
    params_type = MaxPoolParams
    extra_sources = (COMMON_HEADER,)

    def check(self, op, graph):
        return pool_check(op, graph)

    def params(self, op, graph):
        return MaxPoolParams(**pool_fields(op, graph))


KERNEL = MaxPool()
