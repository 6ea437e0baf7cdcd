"""Dead code elimination: drop ops none of whose outputs reach a graph output, then unused tensors."""

from __future__ import annotations

from mnc.ir import Graph


def dce(graph: Graph) -> Graph:
    g = graph.copy()
    live = live_ops(g)
    for op in g.ops():
        if op.name not in live:
            g.remove_op(op)
    g.remove_unused_tensors()
    return g


def live_ops(g: Graph) -> set[str]:
    """Names of ops some graph output depends on, found by walking producers back from the outputs."""
    live: set[str] = set()
    pending = list(g.outputs)
    while pending:
        op = g.producer(pending.pop())
        if op is not None and op.name not in live:
            live.add(op.name)
            pending.extend(name for name in op.inputs if name)
    return live
