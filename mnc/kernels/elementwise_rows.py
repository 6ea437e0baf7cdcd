"""What the row-at-a-time add and mul kernels (add_dsp.py, mul_dsp.py) share: TFLite's broadcasting int8
Add and Mul walked row by row (templates/kernels/mnc_elementwise_walk_s8.h). They take
the portable kernels' params (the same struct fields) and apply when each input's innermost stride is 1
or 0: equal shapes (residual adds) and channel vectors (squeeze-excite's [1,H,W,C] * [1,1,1,C]) do."""

from __future__ import annotations

from mnc.kernels.base import YES, Verdict, no
from mnc.kernels.broadcast import BinaryKernel, binary_fields

WALK_HEADER = "mnc_elementwise_walk_s8.h"


def rows_vectorise(op, graph) -> Verdict:
    fields = binary_fields(op, graph)
    for k in (0, 1):
        stride = fields[f"in{k}_stride3"]
        if stride not in (0, 1):
            return no(f"input {k} is strided along the last axis (stride {stride}; the kernel needs 1 or 0)")
    return YES


class RowKernel(BinaryKernel):
    extra_sources = BinaryKernel.extra_sources + (WALK_HEADER,)

    def check(self, op, graph):
        return rows_vectorise(op, graph)
