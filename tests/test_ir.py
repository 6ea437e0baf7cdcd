"""The Graph API keeps producer/consumer links consistent; verify() catches broken graphs."""

from __future__ import annotations

import numpy as np
import pytest

from mnc.errors import ModelError
from mnc.ir import Graph, QuantParams, Tensor
from mnc.ops import verify_graph


def _chain() -> Graph:
    g = Graph("chain")
    for name in ("x", "y", "z"):
        g.add_tensor(Tensor(name, (1, 4)))
    g.inputs, g.outputs = ["x"], ["z"]
    g.add_op("relu", ["x"], ["y"], name="a")
    g.add_op("relu", ["y"], ["z"], name="b")
    return g


def test_topological_order_is_deterministic_and_respects_edges():
    g = Graph()
    for name in ("x", "p", "q", "r"):
        g.add_tensor(Tensor(name, (1, 4)))
    g.inputs, g.outputs = ["x"], ["r"]
    g.add_op("add", ["p", "q"], ["r"], name="last")
    g.add_op("relu", ["x"], ["p"], name="first")
    g.add_op("relu", ["x"], ["q"], name="second")
    assert [op.name for op in g.ops()] == ["first", "second", "last"]


def test_replace_all_uses_rewires_consumers_and_outputs():
    g = _chain()
    g.add_tensor(Tensor("w", (1, 4)))
    g.add_op("relu", ["x"], ["w"], name="c")
    g.replace_all_uses("y", "w")
    assert g.op("b").inputs == ["w"]
    assert g.consumers("y") == []
    assert [op.name for op in g.consumers("w")] == ["b"]
    g.replace_all_uses("z", "w")
    assert g.outputs == ["w"]


def test_remove_op_and_unused_tensors():
    g = _chain()
    g.replace_all_uses("z", "y")
    g.remove_op(g.op("b"))
    g.remove_unused_tensors()
    assert not g.has_tensor("z")
    assert g.producer("y").name == "a"


def test_duplicate_producer_is_rejected():
    g = _chain()
    with pytest.raises(ValueError):
        g.add_op("relu", ["x"], ["y"])


def test_unique_names():
    g = _chain()
    assert g.unique_name("a") == "a_1"
    assert g.unique_name("fresh") == "fresh"


def test_verify_rejects_dangling_read():
    g = _chain()
    g.add_tensor(Tensor("orphan", (1, 4)))
    g.add_tensor(Tensor("o2", (1, 4)))
    g.add_op("relu", ["orphan"], ["o2"])
    with pytest.raises(ModelError, match="never written"):
        verify_graph(g)


def test_copy_is_deep():
    g = _chain()
    h = g.copy()
    h.op("a").attrs["k"] = 1
    assert "k" not in g.op("a").attrs


def test_quant_params_quantize_round_trip_per_channel():
    qp = QuantParams(np.array([0.5, 0.25], np.float32), np.array([0, 1]), axis=1)
    real = np.array([[0.25, -0.375], [12.7, 100.0]], np.float32)
    q = qp.quantize(real)
    assert q.tolist() == [[1, -1], [25, 127]]   # 0.5 -> 1 and -1.5 + 1 -> -1: half away from zero
    assert np.allclose(qp.dequantize(q), [[0.5, -0.5], [12.5, 31.5]])
