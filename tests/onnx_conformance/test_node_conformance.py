"""ONNX backend node tests (shipped in the onnx wheel) through load_onnx + mnc's float interpreter.

Each case is a one-operator model with input/expected-output protobufs. The harness:
  * turns inputs that are parameters (weights, shapes, pads, clip bounds ...) into initializers,
    since mnc compiles them in as constants;
  * runs batch-N cases of per-sample operators one sample at a time (mnc compiles batch 1);
  * feeds rank-4 inputs NHWC and reads rank-4 outputs back as NCHW.
Cases mnc rejects by design are skipped with a reason listed in REJECTED (and a run that raises
for any other case fails); the session summary counts run/passed/skipped per operator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from mnc import interpreter
from mnc.errors import UnsupportedError
from mnc.frontends.onnx import import_model
from mnc.frontends.onnx.converters import CONVERTERS

NODE_DIR = Path(onnx.__file__).parent / "backend" / "test" / "data" / "node"
RTOL, ATOL = 1e-4, 1e-5
# Input slots holding parameters, per op type (everything else is an activation).
PARAM_SLOTS = {
    "Conv": {1, 2}, "BatchNormalization": {1, 2, 3, 4}, "Clip": {1, 2}, "Gemm": {1, 2}, "MatMul": {1},
    "Reshape": {1}, "Squeeze": {1}, "Unsqueeze": {1}, "Pad": {1, 2, 3}, "ReduceMean": {1}, "Dropout": {1, 2},
}
# Operators whose batch samples are independent, so a batch-N case can run sample by sample.
PER_SAMPLE = {"Conv", "BatchNormalization", "AveragePool", "MaxPool", "GlobalAveragePool", "Flatten", "Gemm",
              "MatMul", "Relu", "Sigmoid", "HardSwish", "HardSigmoid", "Clip"}
# The float operators mnc imports (Sub/Div by constants and Shape are conveniences, not conformance targets).
SUPPORTED = set(CONVERTERS) - {"Constant", "Shape", "Sub", "Div", "QuantizeLinear", "DequantizeLinear"}

# Design rejections: (pattern on the case name, reason). The importer must raise UnsupportedError for these.
REJECTED = [
    (r"dilations", "dilations != 1"),
    (r"training", "training-mode batch norm / dropout"),
    (r"_ceil_last_window_starts_on_pad|count_include_pad.*ceil", "count_include_pad with ceil_mode"),
    (r"^test_clip(_default_max|_example|_inbounds|_outbounds|_splitbounds|_min_greater_than_max)?$",
     "Clip bounds other than [0, 6] / [0, inf)"),
    (r"^test_hardsigmoid(_example|_default)?$", "HardSigmoid alpha/beta other than 1/6, 1/2"),
    (r"^test_softmax_axis_[01]$", "softmax over a non-innermost axis"),
    (r"^test_gemm_(all_attributes|transposeA|default_matrix_bias)", "Gemm with more than one row"),
    (r"^test_matmul_(1d_3d|3d|4d$|bcast)", "MatMul with batched weights"),
    (r"^test_matmul_1d_1d|^test_matmul_4d_1d", "MatMul with 1-D weights"),
    (r"^test_flatten_(axis0|negative_axis4)", "Flatten mixing the batch"),
    (r"^test_reshape_allowzero", "Reshape allowzero=1 with zeros"),
    (r"^test_dropout_default_mask", "Dropout mask output"),
    (r"^test_constant_pad$", "Pad with a non-zero constant value"),
    (r"^test_constant_pad_(axes|negative_axes)$", "Pad with a non-zero constant value"),
]


@dataclass
class Case:
    name: str
    op: str
    model: onnx.ModelProto
    skip: str | None


def _node_ops(model: onnx.ModelProto) -> list[str]:
    return [n.op_type for n in model.graph.node]


def _normalized(name: str) -> str:
    return name.lower().replace("_", "").replace("batchnormalization", "batchnorm")


def _primary_op(case_name: str, ops: list[str]) -> str | None:
    """The operator a case tests: named by the case, or the first supported one if it uses no others."""
    named = [o for o in set(ops) & SUPPORTED if _normalized(case_name[5:]).startswith(_normalized(o))]
    if named:
        return max(named, key=len)
    if set(ops) <= set(CONVERTERS):
        return next((o for o in ops if o in SUPPORTED), None)
    return None


def _static_skip(model: onnx.ModelProto, ops: list[str]) -> str | None:
    """Reasons visible without importing: dtypes, rank, unsupported operator types."""
    for vi in list(model.graph.input) + list(model.graph.output):
        if not vi.type.HasField("tensor_type") or vi.type.tensor_type.elem_type != onnx.TensorProto.FLOAT:
            if not _is_param_input(model, vi.name):
                return "non-float32 dtype"
    if any(o.domain in ("", "ai.onnx") and o.version < 13 for o in model.opset_import):
        return "opset < 13"
    other = sorted({o for o in ops if o not in CONVERTERS})
    if other:
        return "uses operators mnc does not support"
    spatial = {"Conv", "AveragePool", "MaxPool", "GlobalAveragePool"}
    if spatial & set(ops):
        rank = len(model.graph.input[0].type.tensor_type.shape.dim)
        if rank != 4:
            return "not a 2-D spatial (4-D NCHW) tensor"
    return None


def _collect() -> list[Case]:
    cases = []
    for folder in sorted(NODE_DIR.iterdir()):
        path = folder / "model.onnx"
        if not path.is_file():
            continue
        model = onnx.load(str(path))
        ops = _node_ops(model)
        op = _primary_op(folder.name, ops)
        if op is None:
            continue
        skip = _static_skip(model, ops)
        for pattern, reason in REJECTED:
            if skip is None and re.search(pattern, folder.name):
                skip = f"rejected: {reason}"
        cases.append(Case(folder.name, op, model, skip))
    return cases


def _is_param_input(model: onnx.ModelProto, name: str) -> bool:
    return any(name == inp and i in PARAM_SLOTS.get(n.op_type, ())
               for n in model.graph.node for i, inp in enumerate(n.input))


def _data_sets(folder: Path) -> list[tuple[list[np.ndarray], list[np.ndarray]]]:
    sets = []
    for ds in sorted(folder.glob("test_data_set_*")):
        read = lambda kind: [numpy_helper.to_array(onnx.load_tensor(str(p)))  # noqa: E731
                             for p in sorted(ds.glob(f"{kind}_*.pb"), key=lambda p: int(p.stem.split("_")[1]))]
        sets.append((read("input"), read("output")))
    return sets


def _bind_params(model: onnx.ModelProto, inputs: list[np.ndarray]) -> tuple[onnx.ModelProto, list[int]]:
    """A copy of `model` with parameter inputs as initializers; returns it and the activation input indices."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    acts, keep = [], []
    for i, (vi, data) in enumerate(zip(list(model.graph.input), inputs)):
        if _is_param_input(model, vi.name):
            model.graph.initializer.append(numpy_helper.from_array(data, vi.name))
        else:
            acts.append(i)
            keep.append(vi)
    del model.graph.input[:]
    model.graph.input.extend(keep)
    return model, acts


def _batch_one(model: onnx.ModelProto, batch: int) -> onnx.ModelProto:
    """The per-sample model: leading dims of graph inputs set to 1, outputs' divided by the batch."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    for vi in model.graph.input:
        vi.type.tensor_type.shape.dim[0].dim_value = 1
    for vi in model.graph.output:
        vi.type.tensor_type.shape.dim[0].dim_value //= batch
    return model


def _run(graph, xs: list[np.ndarray]) -> list[np.ndarray]:
    feeds = {}
    for name, x in zip(graph.inputs, xs):
        nhwc = graph.tensor(name).meta.get("onnx_layout") == "NCHW"
        feeds[name] = np.ascontiguousarray(x.transpose(0, 2, 3, 1) if nhwc else x)
    outs = interpreter.run(graph, feeds)
    res = []
    for name in graph.outputs:
        y = outs[name]
        res.append(y.transpose(0, 3, 1, 2) if graph.tensor(name).meta.get("onnx_layout") == "NCHW" else y)
    return res


def _splittable(model: onnx.ModelProto, xs: list[np.ndarray], ys: list[np.ndarray]) -> bool:
    """Whether running sample by sample and concatenating the outputs along axis 0 is exact."""
    leads = {x.shape[0] if x.ndim else None for x in xs}
    if len(leads) != 1 or None in leads or leads == {1} or not set(_node_ops(model)) <= PER_SAMPLE:
        return False
    if any(y.ndim == 0 or y.shape[0] % xs[0].shape[0] for y in ys):
        return False
    for node in model.graph.node:
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type == "Flatten" and attrs.get("axis", 1) % 4 == 0:
            return False
        if node.op_type == "Gemm" and attrs.get("transA", 0):
            return False
    return all(min(a.ndim, 4) >= 2 for a in xs)


def _check(case: Case) -> None:
    folder = NODE_DIR / case.name
    for inputs, expected in _data_sets(folder):
        model, acts = _bind_params(case.model, inputs)
        xs = [inputs[i].astype(np.float32) for i in acts]
        if _splittable(model, xs, expected):
            graph = import_model(_batch_one(model, xs[0].shape[0]), case.name)
            per_sample = [_run(graph, [x[i:i + 1] for x in xs]) for i in range(xs[0].shape[0])]
            got = [np.concatenate(parts) for parts in zip(*per_sample)]
        else:
            got = _run(import_model(model, case.name), xs)
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            assert g.shape == e.shape
            np.testing.assert_allclose(g, e, rtol=RTOL, atol=ATOL, err_msg=case.name)


CASES = _collect()


@pytest.mark.parametrize("case", CASES, ids=[f"{c.op}-{c.name}" for c in CASES])
def test_node(case: Case, record_property) -> None:
    record_property("onnx_op", case.op)
    if case.skip:
        if case.skip.startswith("rejected"):  # the importer must refuse it with a clear error
            with pytest.raises(UnsupportedError):
                model, _ = _bind_params(case.model, _data_sets(NODE_DIR / case.name)[0][0])
                import_model(model, case.name)
        pytest.skip(case.skip)
    _check(case)
