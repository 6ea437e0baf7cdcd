"""Fields shared by the pooling kernels: window geometry and the fused activation's clamp."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mnc.kernels.base import YES, Verdict, no
from mnc.ops import get_op
from mnc.ops.pool import pool_geometry

if TYPE_CHECKING:
    from mnc.ir import Graph, Op


def pool_check(op: Op, graph: Graph) -> Verdict:
    return YES if graph.tensor(op.inputs[0]).dtype == "int8" else no(f"{op.kind}: only int8 is lowered to C")


def pool_fields(op: Op, graph: Graph) -> dict[str, int]:
    lo, hi = get_op(op.kind).act_range(op, graph)
    return {**pool_geometry(op, graph), "act_min": lo, "act_max": hi}
