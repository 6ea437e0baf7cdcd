"""mnc_avg_pool_s8: int8 average pooling over a window with stride and padding (TFLite's reference)."""

from __future__ import annotations

from dataclasses import dataclass

from mnc.kernels.base import COMMON_HEADER, KernelDescriptor, Params
from mnc.kernels.pool_fields import pool_check, pool_fields


@dataclass(frozen=True)
class AvgPoolParams(Params):
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


class AvgPool(KernelDescriptor):
    name = "mnc_avg_pool_s8"
    params_type = AvgPoolParams
    extra_sources = (COMMON_HEADER,)

    def check(self, op, graph):
        return pool_check(op, graph)

    def params(self, op, graph):
        return AvgPoolParams(**pool_fields(op, graph))


KERNEL = AvgPool()
