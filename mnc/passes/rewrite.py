"""Small rewrite helpers shared by the fusion passes, built only on the Graph mutation API."""

from __future__ import annotations

from mnc.ir import Graph, Op


def only_consumer(graph: Graph, tensor: str) -> Op | None:
    """The single op reading `tensor`, or None when it has several readers or is a graph output."""
    consumers = graph.consumers(tensor)
    if len(consumers) != 1 or tensor in graph.outputs:
        return None
    return consumers[0]


def absorb_successor(graph: Graph, producer: Op, successor: Op) -> None:
    """Delete `successor` and let `producer` write its output; the tensor between them disappears.

    The caller has checked that `successor` is the only reader of `producer`'s output and that
    `producer` now computes what `successor` used to.
    """
    middle, result = producer.outputs[0], successor.outputs[0]
    graph.remove_op(successor)
    graph.set_output(producer, 0, result)
    graph.remove_tensor(middle)
    mark_fused(producer, successor.kind)


def mark_fused(op: Op, kind: str) -> None:
    op.meta["fused"] = [*op.meta.get("fused", []), kind]


def remove_if_unused(graph: Graph, tensor: str) -> None:
    if tensor and graph.has_tensor(tensor) and not graph.consumers(tensor) and graph.producer(tensor) is None \
            and tensor not in graph.inputs and tensor not in graph.outputs:
        graph.remove_tensor(tensor)


def same_quant(graph: Graph, a: str, b: str) -> bool:
    """True when both tensors are float, or both carry identical per-tensor quantization."""
    qa, qb = graph.tensor(a).quant, graph.tensor(b).quant
    if qa is None or qb is None:
        return qa is None and qb is None
    return (qa.scale.size == qb.scale.size == 1 and qa.scale[0] == qb.scale[0]
            and qa.zero_point[0] == qb.zero_point[0])
