"""`mnc export` (built-in variant -> float ONNX) and `mnc compile` of ONNX models it cannot compile."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto as TP
from onnx import helper as h
from onnx import numpy_helper as nh

from mnc.frontends.builtin import build_variant, save_weights
from mnc.interpreter import run_single
from tests.test_cli import assert_one_line_error, invoke


def test_export_writes_a_pytorch_like_float_model(capsys, tmp_path):
    out = tmp_path / "v3s.onnx"
    status, stdout, err = invoke(capsys, "export", "--variant", "v3s-0.75", "--classes", "5", "--resolution", "32",
                                 str(out))
    assert status == 0, err
    assert "wrote" in stdout
    model = onnx.load(str(out))
    onnx.checker.check_model(model, full_check=True)
    ops = {n.op_type for n in model.graph.node}
    assert {"Conv", "BatchNormalization", "HardSwish", "HardSigmoid", "Relu", "Mul", "Softmax"} <= ops
    dims = [d.dim_param or d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert dims == ["N", 3, 32, 32]
    graph = build_variant("v3s-0.75", classes=5, resolution=32)   # the same seeded weights
    x = np.random.default_rng(0).uniform(-1, 1, (1, 32, 32, 3)).astype(np.float32)
    sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    got = sess.run(None, {sess.get_inputs()[0].name: np.ascontiguousarray(x.transpose(0, 3, 1, 2))})[0]
    np.testing.assert_allclose(got, run_single(graph, x), rtol=1e-4, atol=1e-5)


def test_export_uses_the_weights_file(capsys, tmp_path):
    graph = build_variant("v1-0.25", resolution=32, calibrate_weights=False)
    weights = graph.tensor("conv1/weights")
    weights.data = np.arange(weights.data.size, dtype=np.float32).reshape(weights.shape)  # no seeded value
    save_weights(graph, tmp_path / "w.npz")
    out = tmp_path / "v1.onnx"
    status, _, err = invoke(capsys, "export", "--variant", "v1-0.25", "--resolution", "32",
                            "--weights", str(tmp_path / "w.npz"), str(out))
    assert status == 0, err
    inits = {i.name: nh.to_array(i) for i in onnx.load(str(out)).graph.initializer}
    np.testing.assert_array_equal(inits["conv1/weights"], weights.data.transpose(0, 3, 1, 2))  # OHWI -> OIHW


@pytest.mark.parametrize("argv, code", [
    (["--variant", "v9-0.25", "{out}"], 1),                        # unknown variant
    (["--variant", "v1-0.25", "--resolution", "50", "{out}"], 1),  # resolution the family does not define
    (["--variant", "v1-0.25", "--weights", "{dir}/none.npz", "{out}"], 1),
    (["--variant", "v1-0.25", "{dir}/model.tflite"], 1),            # not .onnx
    (["--variant", "v1-0.25", "{dir}/no/such/folder/m.onnx"], 1),
    (["{out}"], 2),                                                # --variant is required
    (["--variant", "v1-0.25"], 2),                                 # the output is required
])
def test_export_errors_are_one_line_and_write_nothing(capsys, tmp_path, argv, code):
    out = tmp_path / "m.onnx"
    args = [a.format(out=out, dir=tmp_path) for a in argv]
    status, _, err = invoke(capsys, "export", *args)
    assert status == code
    assert_one_line_error(err)
    assert list(tmp_path.iterdir()) == []


def test_compile_onnx_with_unsupported_operator_names_it_and_writes_nothing(capsys, tmp_path):
    nodes = [h.make_node("Conv", ["x", "w"], ["c"], name="stem"),
             h.make_node("Erf", ["c"], ["y"], name="gelu_erf")]
    w = nh.from_array(np.ones((4, 3, 1, 1), np.float32), "w")
    graph = h.make_graph(nodes, "g", [h.make_tensor_value_info("x", TP.FLOAT, [1, 3, 8, 8])],
                         [h.make_tensor_value_info("y", TP.FLOAT, None)], [w])
    path = tmp_path / "erf.onnx"
    onnx.save(h.make_model(graph, opset_imports=[h.make_opsetid("", 17)]), str(path))
    out = tmp_path / "pkg"
    status, _, err = invoke(capsys, "compile", str(path), "-o", str(out))
    assert status == 1
    assert_one_line_error(err)
    assert "unsupported operator Erf" in err and "'gelu_erf'" in err
    assert not out.exists()
