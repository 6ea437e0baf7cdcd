"""Fuse a standalone relu / relu6 into the op that produces its input (the op's `act` attr).

Legal when the activation is the producer's only reader. In an int8 graph the fused op writes the
activation's output tensor directly, which is bit-exact only when the activation did not
requantize (same scale and zero point on both sides); otherwise the pair is left alone.
"""

from __future__ import annotations

from mnc.ir import Graph, Op
from mnc.ops import get_op
from mnc.passes.rewrite import absorb_successor, only_consumer, same_quant


def fuse_activation(graph: Graph) -> Graph:
    g = graph.copy()
    for act in [op for op in g.ops() if get_op(op.kind).fuses_as_activation]:
        producer = g.producer(act.inputs[0])
        if _can_fuse(g, producer, act):
            fused = get_op(act.kind).fuses_as_activation
            producer.attrs["act"] = combine(producer.attrs.get("act", "none"), fused)
            absorb_successor(g, producer, act)
    return g


def _can_fuse(g: Graph, producer: Op | None, act: Op) -> bool:
    """The producer implements a fused `act` (OpDef.accepts_fused_activation) and nothing else reads it."""
    return (producer is not None and get_op(producer.kind).accepts_fused_activation and len(producer.outputs) == 1
            and only_consumer(g, act.inputs[0]) is act and same_quant(g, act.inputs[0], act.outputs[0]))


def combine(existing: str, new: str) -> str:
    """The single activation equal to applying `existing` then `new` (both clamp below at 0)."""
    return "relu6" if "relu6" in (existing, new) else new
