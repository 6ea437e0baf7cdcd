"""mnc_avg_pool_s8: int8 average pooling over a window with stride and padding (TFLite's reference)."""

from __future__ import annotations

from mnc.kernels.pool_fields import PoolKernel


class AvgPool(PoolKernel):
    name = "mnc_avg_pool_s8"


KERNEL = AvgPool()
