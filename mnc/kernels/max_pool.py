"""mnc_max_pool_s8: int8 max pooling over a window with stride and padding (TFLite's reference)."""

from __future__ import annotations

from mnc.kernels.pool_fields import PoolKernel


class MaxPool(PoolKernel):
    name = "mnc_max_pool_s8"


KERNEL = MaxPool()
