"""What a structurally valid graph is: edges, producers, inputs and outputs. Raises ModelError on the
first problem. Output shapes are the ops' business: mnc.ops.verify_graph adds that check on top."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mnc.errors import ModelError

if TYPE_CHECKING:
    from mnc.ir.graph import Graph


def check_structure(graph: Graph) -> None:
    ops = graph.ops()  # raises if the graph has a cycle
    _check_edges(graph, ops)
    _check_io(graph)


def _check_edges(graph: Graph, ops) -> None:
    for op in ops:
        for name in op.inputs:
            if name and not graph.has_tensor(name):
                raise ModelError(f"op {op.name!r} reads missing tensor {name!r}")
        for name in op.outputs:
            if not graph.has_tensor(name):
                raise ModelError(f"op {op.name!r} writes missing tensor {name!r}")
            if graph.producer(name) is not op:
                raise ModelError(f"tensor {name!r} has an inconsistent producer")


def _check_io(graph: Graph) -> None:
    if not graph.inputs or not graph.outputs:
        raise ModelError("graph has no inputs or no outputs")
    for name in graph.inputs:
        if graph.producer(name) is not None:
            raise ModelError(f"graph input {name!r} is produced by an op")
    for t in graph.tensors():
        if t.is_const or t.name in graph.inputs:
            continue
        if graph.producer(t.name) is None and (graph.consumers(t.name) or t.name in graph.outputs):
            raise ModelError(f"tensor {t.name!r} is read but never written")
        if t.is_const and tuple(t.data.shape) != t.shape:
            raise ModelError(f"constant {t.name!r} data shape {t.data.shape} != {t.shape}")

