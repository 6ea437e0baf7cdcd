"""Numpy reference interpreter: runs a Graph in float or in int8. The oracle for every test."""

from __future__ import annotations

import numpy as np

from mnc.errors import MncError
from mnc.ir import Graph
from mnc.ops import get_op


def run(graph: Graph, inputs: dict[str, np.ndarray] | np.ndarray, mode: str = "float",
        keep_all: bool = False) -> dict[str, np.ndarray]:
    """Execute `graph`. mode "float" uses float32 math; "int8" the TFLite int8 reference kernels.

    Returns the graph outputs by name, or every activation tensor when `keep_all`.
    """
    if mode not in ("float", "int8"):
        raise ValueError(mode)
    values = _bind_inputs(graph, inputs)
    for op in graph.ops():
        args = op_args(graph, op, values)
        opdef = get_op(op.kind)
        outs = opdef.eval_float(op, graph, args) if mode == "float" else opdef.eval_int8(op, graph, args)
        for name, arr in zip(op.outputs, outs):
            values[name] = arr
    names = list(values) if keep_all else graph.outputs
    return {n: values[n] for n in names}


def run_single(graph: Graph, x: np.ndarray, mode: str = "float") -> np.ndarray:
    """Convenience for one-input, one-output graphs."""
    return run(graph, x, mode)[graph.outputs[0]]


def op_args(graph: Graph, op, values: dict[str, np.ndarray]) -> list:
    """The op's input arrays: computed values from `values`, constants from the graph, None for an
    absent optional input."""
    return [_value(graph, values, name) for name in op.inputs]


def _bind_inputs(graph: Graph, inputs) -> dict[str, np.ndarray]:
    if isinstance(inputs, np.ndarray):
        inputs = {graph.inputs[0]: inputs}
    values = {}
    for name in graph.inputs:
        if name not in inputs:
            raise MncError(f"missing value for graph input {name!r}")
        arr = np.asarray(inputs[name])
        want = graph.tensor(name).shape
        if arr.shape != want:
            raise MncError(f"input {name!r}: shape {arr.shape}, model expects {want}")
        values[name] = arr
    return values


def _value(graph: Graph, values: dict, name: str):
    if not name:
        return None
    if name in values:
        return values[name]
    t = graph.tensor(name)
    if t.is_const:
        return t.data
    raise MncError(f"tensor {name!r} used before it is computed")
