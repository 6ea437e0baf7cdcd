"""Fuse a standalone relu / relu6 into the op that produces its input (the op's `act` attr).

Legal when the activation is the producer's only reader. In an int8 graph the fused op writes the
activation's output tensor directly, which is bit-exact only when the activation did not
requantize (same scale and zero point on both sides); otherwise the pair is left alone.
"""

from __future__ import annotations

from mnc.ir import Graph, Op
from mnc.passes.rewrite import absorb_successor, only_consumer, same_quant

ACTIVATIONS = ("relu", "relu6")
# Kinds whose `act` attr the ops and kernels implement (docs/IR.md).
ACCEPTS_ACT = ("conv2d", "depthwise_conv2d", "fully_connected", "add", "mul", "avg_pool2d", "max_pool2d")


def fuse_activation(graph: Graph) -> Graph:
    g = graph.copy()
    for act in [op for op in g.ops() if op.kind in ACTIVATIONS]:
        producer = g.producer(act.inputs[0])
        if _can_fuse(g, producer, act):
            producer.attrs["act"] = combine(producer.attrs.get("act", "none"), act.kind)
            absorb_successor(g, producer, act)
    return g


def _can_fuse(g: Graph, producer: Op | None, act: Op) -> bool:
    return (producer is not None and producer.kind in ACCEPTS_ACT and len(producer.outputs) == 1
            and only_consumer(g, act.inputs[0]) is act and same_quant(g, act.inputs[0], act.outputs[0]))


def combine(existing: str, new: str) -> str:
    """The single activation equal to applying `existing` then `new` (both clamp below at 0)."""
    return "relu6" if "relu6" in (existing, new) else new
