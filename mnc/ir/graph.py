"""The Graph: ops and tensors in a bipartite networkx DiGraph, reached only through this API.

Node kinds: a tensor node is keyed ("t", name), an op node ("o", name). Edges run
tensor -> consuming op and op -> produced tensor. Passes mutate the graph only with the
methods below, so producer/consumer links can never go stale.

Documented `meta` keys on ops:
  source  -- where the op came from (e.g. "tflite op 12 CONV_2D", "features.3.conv")
  fused   -- list of op kinds folded into this op by passes
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass, field

import networkx as nx

from mnc.ir.tensor import Tensor


@dataclass(eq=False)
class Op:
    name: str
    kind: str
    inputs: list[str]
    outputs: list[str]
    attrs: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)


def _t(name: str) -> tuple[str, str]:
    return ("t", name)


def _o(name: str) -> tuple[str, str]:
    return ("o", name)


class Graph:
    def __init__(self, name: str = "model") -> None:
        self.name = name
        self.inputs: list[str] = []
        self.outputs: list[str] = []
        self.meta: dict = {}
        self._g = nx.DiGraph()
        self._order = itertools.count()

    # ---- tensors -------------------------------------------------------------------------
    def add_tensor(self, tensor: Tensor) -> Tensor:
        if self._g.has_node(_t(tensor.name)):
            raise ValueError(f"duplicate tensor name {tensor.name!r}")
        self._g.add_node(_t(tensor.name), obj=tensor, seq=next(self._order))
        return tensor

    def tensor(self, name: str) -> Tensor:
        return self._g.nodes[_t(name)]["obj"]

    def has_tensor(self, name: str) -> bool:
        return self._g.has_node(_t(name))

    def tensors(self) -> list[Tensor]:
        nodes = sorted((d["seq"], d["obj"]) for n, d in self._g.nodes(data=True) if n[0] == "t")
        return [obj for _, obj in nodes]

    def unique_name(self, base: str) -> str:
        if not (self._g.has_node(_t(base)) or self._g.has_node(_o(base))):
            return base
        for i in itertools.count(1):
            cand = f"{base}_{i}"
            if not (self._g.has_node(_t(cand)) or self._g.has_node(_o(cand))):
                return cand
        raise AssertionError("unreachable")

    def remove_tensor(self, name: str) -> None:
        if self.producer(name) or self.consumers(name) or name in self.inputs or name in self.outputs:
            raise ValueError(f"tensor {name!r} is still in use")
        self._g.remove_node(_t(name))

    # ---- ops -----------------------------------------------------------------------------
    def add_op(self, kind: str, inputs: list[str], outputs: list[str], attrs: dict | None = None,
               name: str | None = None, meta: dict | None = None) -> Op:
        op = Op(self.unique_name(name or kind), kind, list(inputs), list(outputs), dict(attrs or {}),
                dict(meta or {}))
        self._g.add_node(_o(op.name), obj=op, seq=next(self._order))
        for t in op.inputs:
            if t:
                self._g.add_edge(_t(t), _o(op.name))
        for t in op.outputs:
            if self.producer(t) is not None:
                raise ValueError(f"tensor {t!r} already has a producer")
            self._g.add_edge(_o(op.name), _t(t))
        return op

    def op(self, name: str) -> Op:
        return self._g.nodes[_o(name)]["obj"]

    def remove_op(self, op: Op) -> None:
        self._g.remove_node(_o(op.name))

    def set_input(self, op: Op, index: int, tensor: str) -> None:
        old = op.inputs[index]
        op.inputs[index] = tensor
        if old and old not in op.inputs:
            self._g.remove_edge(_t(old), _o(op.name))
        if tensor:
            self._g.add_edge(_t(tensor), _o(op.name))

    def set_output(self, op: Op, index: int, tensor: str) -> None:
        """Make `op` write `tensor` (which must have no producer) in place of its output `index`."""
        if self.producer(tensor) is not None:
            raise ValueError(f"tensor {tensor!r} already has a producer")
        self._g.remove_edge(_o(op.name), _t(op.outputs[index]))
        op.outputs[index] = tensor
        self._g.add_edge(_o(op.name), _t(tensor))

    def replace_all_uses(self, old: str, new: str) -> None:
        """Point every consumer (and graph output) of tensor `old` at tensor `new`."""
        for op in self.consumers(old):
            for i, name in enumerate(op.inputs):
                if name == old:
                    self.set_input(op, i, new)
        self.outputs = [new if t == old else t for t in self.outputs]

    def producer(self, tensor: str) -> Op | None:
        preds = list(self._g.predecessors(_t(tensor)))
        return self._g.nodes[preds[0]]["obj"] if preds else None

    def consumers(self, tensor: str) -> list[Op]:
        succ = sorted(self._g.successors(_t(tensor)), key=lambda n: self._g.nodes[n]["seq"])
        return [self._g.nodes[n]["obj"] for n in succ]

    def ops(self) -> list[Op]:
        """Ops in a deterministic topological order (ties broken by creation order)."""
        seq = nx.get_node_attributes(self._g, "seq")
        order = nx.lexicographical_topological_sort(self._g, key=lambda n: seq[n])
        return [self._g.nodes[n]["obj"] for n in order if n[0] == "o"]

    # ---- whole-graph helpers ------------------------------------------------------------
    def remove_unused_tensors(self) -> None:
        for t in self.tensors():
            if t.name not in self.inputs and t.name not in self.outputs and self._g.degree(_t(t.name)) == 0:
                self._g.remove_node(_t(t.name))

    def copy(self) -> Graph:
        return copy.deepcopy(self)
