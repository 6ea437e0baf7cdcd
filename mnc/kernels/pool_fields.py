"""What the pooling kernels share: one params layout (window geometry and the fused activation's
clamp; the average and max structs have the same fields) and the descriptor body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mnc.kernels.base import COMMON_HEADER, KernelDescriptor, Params
from mnc.ops import get_op
from mnc.ops.pool import pool_geometry

if TYPE_CHECKING:
    from mnc.ir import Graph, Op


def pool_fields(op: Op, graph: Graph) -> dict[str, int]:
    lo, hi = get_op(op.kind).act_range(op, graph)
    return {**pool_geometry(op, graph), "act_min": lo, "act_max": hi}


@dataclass(frozen=True)
class PoolParams(Params):
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


class PoolKernel(KernelDescriptor):
    params_type = PoolParams
    extra_sources = (COMMON_HEADER,)

    def params(self, op, graph):
        return PoolParams(**pool_fields(op, graph))
