"""Issue-level guarantees for every built-in family (V1, V2, V3-Small, V3-Large, V4-Conv-S, V4-Conv-M):
the host C equals the numpy int8 reference byte for byte, and int8 tracks float."""

from __future__ import annotations

import numpy as np
import pytest

from mnc.compiler import compile_model
from mnc.frontends.builtin import build_variant
from mnc.interpreter import run
from mnc.options import CompileOptions
from mnc.data import synthetic_inputs
from mnc.passes.pipeline import optimize
from mnc.passes.quantize import quantize_graph
from mnc.runners import host
from tests.conftest import need_tool

pytestmark = pytest.mark.slow
# MobileNetV4 at width 1.0: its seeded (untrained) weights at widths 0.5/0.75 are 22-27 layers of
# random projections that amplify int8 rounding more (logit cosine 0.96-0.98 on these inputs);
# v4m at 64x64 keeps the int8 interpreter's share of the suite's time down.
FAMILIES = ["v1-0.25", "v2-0.35", "v3s-0.75", "v3l-0.75", "v4s-1.0", "v4m-1.0-64"]


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def _centred_cosine(a: np.ndarray, b: np.ndarray) -> float:
    return _cosine(a.ravel() - a.mean(), b.ravel() - b.mean())


def _logits_name(graph) -> str:
    """The tensor feeding the final softmax: comparing probabilities of 2 classes would be too easy."""
    (softmax,) = [op for op in graph.ops() if op.kind == "softmax"]
    return softmax.inputs[0]


@pytest.fixture(scope="module", params=FAMILIES)
def family(request):
    float_graph = optimize(build_variant(request.param, classes=16))
    shape = float_graph.tensor(float_graph.inputs[0]).shape
    calibration = synthetic_inputs(shape, 16, seed=1)
    held_out = synthetic_inputs(shape, 4, seed=2)
    qgraph = quantize_graph(float_graph, calibration)
    return request.param, float_graph, qgraph, held_out


def test_host_c_equals_int8_reference(family, tmp_path):
    need_tool("gcc")
    name, _, qgraph, held_out = family
    result = compile_model(qgraph, CompileOptions(out_dir=tmp_path / name))
    qin = qgraph.tensor(qgraph.inputs[0]).quant
    for x in held_out:
        xq = qin.quantize(x)
        want = run(qgraph, xq, mode="int8")[qgraph.outputs[0]]
        got = host.run(result.out_dir, xq)
        bad = np.flatnonzero(got.ravel() != want.ravel())
        assert bad.size == 0, f"{name}: {bad.size} output bytes differ, first at {bad[:8]}"


def test_int8_tracks_float(family):
    name, float_graph, qgraph, held_out = family
    logits = _logits_name(qgraph)
    qin = qgraph.tensor(qgraph.inputs[0]).quant
    qlog = qgraph.tensor(logits).quant
    for x in held_out:
        ref = run(float_graph, x, keep_all=True)[logits]
        got = qlog.dequantize(run(qgraph, qin.quantize(x), mode="int8", keep_all=True)[logits])
        assert _cosine(ref, got) >= 0.99, f"{name}: cosine {_cosine(ref, got):.4f}"


def test_logits_depend_on_the_input(family):
    """Guards the test above against a fake fix: a network whose logits hardly depend on the
    input would track any int8 error-free. Every pair of held-out inputs must differ clearly."""
    name, float_graph, _, held_out = family
    logits = _logits_name(float_graph)
    outs = [run(float_graph, x, keep_all=True)[logits] for x in held_out]
    for i in range(len(outs)):
        for j in range(i + 1, len(outs)):
            similarity = _centred_cosine(outs[i], outs[j])
            assert similarity < 0.95, f"{name}: held-out inputs {i}, {j} give logits of centred cosine {similarity:.3f}"
