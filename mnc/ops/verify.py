"""What a valid graph is, checked after every pass: its structure (mnc.ir.verify) and every op's
output shapes against the op's own shape inference. Raises ModelError on the first problem."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mnc.errors import ModelError
from mnc.ir.verify import check_structure
from mnc.ops.registry import get_op

if TYPE_CHECKING:
    from mnc.ir import Graph


def verify_graph(graph: Graph) -> None:
    check_structure(graph)
    _check_shapes(graph, graph.ops())


def _check_shapes(graph: Graph, ops) -> None:
    for op in ops:
        inferred = get_op(op.kind).infer(op, graph)
        for name, (shape, _dtype) in zip(op.outputs, inferred):
            t = graph.tensor(name)
            if tuple(shape) != t.shape:
                raise ModelError(f"op {op.name!r} ({op.kind}) output {name!r}: shape {t.shape}, expected {tuple(shape)}")
