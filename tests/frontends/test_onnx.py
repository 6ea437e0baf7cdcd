"""ONNX import/export: built-in variants round-trip through ONNX (vs onnxruntime), layout fixes, QDQ, errors."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto as TP
from onnx import helper as h
from onnx import numpy_helper as nh

from mnc import interpreter
from mnc.errors import ModelError, UnsupportedError
from mnc.frontends.builtin import build_variant
from mnc.frontends.onnx import import_model, load_onnx
from mnc.frontends.onnx.exporter import export_onnx, to_onnx

RTOL, ATOL = 1e-4, 1e-5


def _ort(model: onnx.ModelProto, x_nchw: np.ndarray) -> np.ndarray:
    """onnxruntime without graph optimizations: QDQ runs as float math on dequantized values
    (its fused int8 kernels may saturate u8s8 products on x86 and are not the reference)."""
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: x_nchw})[0]


def _mnc(graph, x_nchw: np.ndarray) -> np.ndarray:
    x = x_nchw.transpose(0, 2, 3, 1) if x_nchw.ndim == 4 else x_nchw
    y = interpreter.run_single(graph, np.ascontiguousarray(x))
    return y.transpose(0, 3, 1, 2) if y.ndim == 4 else y


def _model(nodes, inputs, outputs, inits=(), opset=17) -> onnx.ModelProto:
    graph = h.make_graph(nodes, "m", inputs, outputs, list(inits))
    return h.make_model(graph, opset_imports=[h.make_opsetid("", opset)])


def _init(name: str, shape, rng, scale: float = 0.3) -> onnx.TensorProto:
    return nh.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name)


# ---- built-in variants: export (NCHW, PyTorch-like) -> onnxruntime -> import -> mnc ------------

@pytest.mark.parametrize("variant", ["v1-0.25", "v2-0.35", "v3s-0.75", "v3l-0.75"])
def test_builtin_variant_round_trip(variant, tmp_path):
    graph = build_variant(variant)
    path = tmp_path / f"{variant}.onnx"
    model = export_onnx(graph, path)
    assert {"Conv", "BatchNormalization", "Softmax"} <= {n.op_type for n in model.graph.node}
    x = np.random.default_rng(1).standard_normal(graph.tensor(graph.inputs[0]).shape).astype(np.float32)
    x_nchw = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    expected = _ort(model, x_nchw)
    np.testing.assert_allclose(interpreter.run_single(graph, x), expected, rtol=RTOL, atol=ATOL)
    imported = load_onnx(path)
    assert imported.tensor(imported.inputs[0]).shape == graph.tensor(graph.inputs[0]).shape
    # names survive the trip: ONNX node names are mnc op names, tensor names are kept as they are
    assert [(op.name, op.kind, op.inputs, op.outputs) for op in imported.ops()] == \
        [(op.name, op.kind, op.inputs, op.outputs) for op in graph.ops()]
    np.testing.assert_allclose(_mnc(imported, x_nchw), expected, rtol=RTOL, atol=ATOL)


# ---- layouts ------------------------------------------------------------------------------

def _spatial_flatten_model(head: str, rng) -> onnx.ModelProto:
    """Conv -> Flatten of a 4x4x4 map -> Gemm, or -> Reshape back to 4-D -> Conv (a transpose is needed)."""
    nodes = [h.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1], strides=[2, 2]),
             h.make_node("Flatten", ["c"], ["f"])]
    inits = [_init("w", (4, 3, 3, 3), rng)]
    if head == "gemm":
        nodes.append(h.make_node("Gemm", ["f", "fw", "fb"], ["y"], transB=1))
        inits += [_init("fw", (5, 64), rng), _init("fb", (5,), rng)]
        out = h.make_tensor_value_info("y", TP.FLOAT, ["N", 5])
    else:
        nodes += [h.make_node("Reshape", ["f", "shape"], ["r"]), h.make_node("Conv", ["r", "w2"], ["y"])]
        inits += [nh.from_array(np.array([1, 8, 2, 4], np.int64), "shape"), _init("w2", (2, 8, 1, 1), rng)]
        out = h.make_tensor_value_info("y", TP.FLOAT, ["N", 2, 2, 4])
    return _model(nodes, [h.make_tensor_value_info("x", TP.FLOAT, ["N", 3, 8, 8])], [out], inits)


def test_flatten_into_gemm_folds_the_layout_fix_into_the_weights():
    rng = np.random.default_rng(2)
    model = _spatial_flatten_model("gemm", rng)
    graph = import_model(model)
    assert [op.kind for op in graph.ops()] == ["conv2d", "fully_connected"]
    x = rng.standard_normal((1, 3, 8, 8)).astype(np.float32)
    np.testing.assert_allclose(_mnc(graph, x), _ort(model, x), rtol=RTOL, atol=ATOL)


def test_reshape_of_spatial_data_keeps_onnx_element_order():
    rng = np.random.default_rng(3)
    model = _spatial_flatten_model("reshape", rng)
    graph = import_model(model)
    assert "transpose" in [op.kind for op in graph.ops()]
    x = rng.standard_normal((1, 3, 8, 8)).astype(np.float32)
    np.testing.assert_allclose(_mnc(graph, x), _ort(model, x), rtol=RTOL, atol=ATOL)


def test_pad_pools_and_squeeze_excite_match_onnxruntime():
    rng = np.random.default_rng(4)
    nodes = [
        h.make_node("Pad", ["x", "pads"], ["p"], mode="constant"),
        h.make_node("AveragePool", ["p"], ["a"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], count_include_pad=1),
        h.make_node("MaxPool", ["a"], ["m"], kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1),
        h.make_node("ReduceMean", ["m", "axes"], ["s"], keepdims=1),
        h.make_node("HardSigmoid", ["s"], ["g"], alpha=1 / 6, beta=0.5),
        h.make_node("Mul", ["m", "g"], ["e"]),
        h.make_node("Add", ["e", "bias"], ["y"]),
    ]
    inits = [nh.from_array(np.array([0, 0, 1, 0, 0, 0, 0, 2], np.int64), "pads"),
             nh.from_array(np.array([2, 3], np.int64), "axes"), _init("bias", (3, 1, 1), rng)]
    model = _model(nodes, [h.make_tensor_value_info("x", TP.FLOAT, [1, 3, 7, 7])],
                   [h.make_tensor_value_info("y", TP.FLOAT, None)], inits, opset=18)
    x = rng.standard_normal((1, 3, 7, 7)).astype(np.float32)
    np.testing.assert_allclose(_mnc(import_model(model), x), _ort(model, x), rtol=RTOL, atol=ATOL)


def test_dynamic_batch_is_fixed_to_one_and_other_dynamic_dims_are_rejected():
    relu = [h.make_node("Relu", ["x"], ["y"])]
    out = [h.make_tensor_value_info("y", TP.FLOAT, None)]
    graph = import_model(_model(relu, [h.make_tensor_value_info("x", TP.FLOAT, ["batch", 3, 4, 4])], out))
    assert graph.tensor(graph.inputs[0]).shape == (1, 4, 4, 3)
    with pytest.raises(UnsupportedError, match="dynamic dimension 2"):
        import_model(_model(relu, [h.make_tensor_value_info("x", TP.FLOAT, [1, 3, "h", 4])], out))


# ---- QDQ ----------------------------------------------------------------------------------

def _qdq_model() -> onnx.ModelProto:
    rng = np.random.default_rng(5)
    w = rng.integers(-127, 128, (4, 3, 3, 3)).astype(np.int8)
    nodes = [
        h.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
        h.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"]),
        h.make_node("DequantizeLinear", ["wq", "ws", "wz"], ["wd"], axis=0),
        h.make_node("DequantizeLinear", ["bq", "bs", "bz"], ["bd"], axis=0),
        h.make_node("Conv", ["xd", "wd", "bd"], ["c"], pads=[1, 1, 1, 1]),
        h.make_node("QuantizeLinear", ["c", "cs", "cz"], ["cq"]),
        h.make_node("DequantizeLinear", ["cq", "cs", "cz"], ["y"]),
    ]
    ws = np.array([0.01, 0.02, 0.015, 0.005], np.float32)
    xs = np.float32(0.02)
    inits = [nh.from_array(xs, "xs"), nh.from_array(np.int8(3), "xz"), nh.from_array(w, "wq"),
             nh.from_array(ws, "ws"), nh.from_array(np.zeros(4, np.int8), "wz"),
             nh.from_array(rng.integers(-500, 500, 4).astype(np.int32), "bq"), nh.from_array(xs * ws, "bs"),
             nh.from_array(np.zeros(4, np.int32), "bz"), nh.from_array(np.float32(0.1), "cs"),
             nh.from_array(np.int8(-5), "cz")]
    return _model(nodes, [h.make_tensor_value_info("x", TP.FLOAT, [1, 3, 6, 6])],
                  [h.make_tensor_value_info("y", TP.FLOAT, None)], inits)


def test_qdq_model_imports_as_int8_graph_keeping_its_quantization():
    model = _qdq_model()
    graph = import_model(model)
    conv = next(op for op in graph.ops() if op.kind == "conv2d")
    x, w, b, y = (graph.tensor(n) for n in conv.inputs + conv.outputs)
    assert (x.dtype, x.quant.single()) == ("int8", (pytest.approx(0.02), 3))
    assert (y.dtype, y.quant.single()) == ("int8", (pytest.approx(0.1), -5))
    assert w.dtype == "int8" and w.quant.axis == 0 and w.shape == (4, 3, 3, 3)
    assert np.array_equal(w.data, nh.to_array(model.graph.initializer[2]).transpose(0, 2, 3, 1))
    assert b.dtype == "int32"
    # onnxruntime's float math on the dequantized values agrees with mnc's int8 conv within one step
    # (float vs fixed-point requantization may round a value differently)
    xf = np.random.default_rng(6).uniform(-2, 2, (1, 3, 6, 6)).astype(np.float32)
    xq = x.quant.quantize(xf.transpose(0, 2, 3, 1))
    got = y.quant.dequantize(interpreter.run_single(graph, xq, mode="int8")).transpose(0, 3, 1, 2)
    assert np.max(np.abs(got - _ort(model, xf))) <= 0.1 + 1e-6


def test_export_refuses_an_int8_graph():
    with pytest.raises(UnsupportedError, match="float graphs only"):
        to_onnx(import_model(_qdq_model()))


# ---- errors -------------------------------------------------------------------------------

def test_unsupported_operator_is_named_with_its_node():
    nodes = [h.make_node("Relu", ["x"], ["r"]), h.make_node("LpNormalization", ["r"], ["y"], name="norm7")]
    model = _model(nodes, [h.make_tensor_value_info("x", TP.FLOAT, [1, 3, 4, 4])],
                   [h.make_tensor_value_info("y", TP.FLOAT, None)])
    with pytest.raises(UnsupportedError, match=r"node 1 LpNormalization 'norm7'.*unsupported operator LpNormalization"):
        import_model(model)


def test_unsupported_attribute_and_group_are_rejected():
    rng = np.random.default_rng(7)
    conv = h.make_node("Conv", ["x", "w"], ["y"], group=2)
    model = _model([conv], [h.make_tensor_value_info("x", TP.FLOAT, [1, 4, 4, 4])],
                   [h.make_tensor_value_info("y", TP.FLOAT, None)], [_init("w", (4, 2, 1, 1), rng)])
    with pytest.raises(UnsupportedError, match="group=2"):
        import_model(model)
    clip = h.make_node("Clip", ["x", "lo", "hi"], ["y"])
    model = _model([clip], [h.make_tensor_value_info("x", TP.FLOAT, [1, 4])],
                   [h.make_tensor_value_info("y", TP.FLOAT, None)],
                   [nh.from_array(np.float32(-1), "lo"), nh.from_array(np.float32(1), "hi")])
    with pytest.raises(UnsupportedError, match=r"Clip\(min=-1.0, max=1.0\)"):
        import_model(model)


def test_old_opset_is_rejected():
    model = _model([h.make_node("Relu", ["x"], ["y"])], [h.make_tensor_value_info("x", TP.FLOAT, [1, 4])],
                   [h.make_tensor_value_info("y", TP.FLOAT, None)], opset=11)
    with pytest.raises(UnsupportedError, match="opset 11"):
        import_model(model)


@pytest.mark.parametrize("payload", [b"\x08\x07garbage\xff\xff\xff", b"", b"not a protobuf at all"])
def test_malformed_protobuf_raises_model_error(tmp_path, payload):
    path = tmp_path / "bad.onnx"
    path.write_bytes(payload)
    with pytest.raises(ModelError):
        load_onnx(path)


def _external_data_model(tmp_path, location: str) -> onnx.ModelProto:
    """A Mul-by-weights model whose weights live in external file `location` (relative to tmp_path)."""
    weights = np.arange(4, dtype=np.float32)
    tensor = nh.from_array(weights, "w")
    model = _model([h.make_node("Mul", ["x", "w"], ["y"])], [h.make_tensor_value_info("x", TP.FLOAT, [1, 4])],
                   [h.make_tensor_value_info("y", TP.FLOAT, None)], [tensor])
    target = tmp_path / location
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(weights.tobytes())
    _point_to_external(model.graph.initializer[0], location)
    return model


def _point_to_external(tensor: onnx.TensorProto, location: str) -> None:
    tensor.ClearField("raw_data")
    tensor.ClearField("float_data")
    del tensor.external_data[:]
    for key, value in (("location", location), ("offset", "0"), ("length", "16")):
        tensor.external_data.add(key=key, value=value)
    tensor.data_location = TP.EXTERNAL


def test_external_data_inside_the_model_folder_loads(tmp_path):
    model = _external_data_model(tmp_path, "weights.bin")
    onnx.save(model, str(tmp_path / "m.onnx"))
    graph = load_onnx(tmp_path / "m.onnx")
    np.testing.assert_array_equal(interpreter.run_single(graph, np.ones((1, 4), np.float32)), [[0, 1, 2, 3]])


@pytest.mark.parametrize("escape", ["../outside/weights.bin", "sub/../../outside/weights.bin"])
def test_external_data_outside_the_model_folder_is_refused(tmp_path, escape):
    folder = tmp_path / "model"
    folder.mkdir()
    model = _external_data_model(folder, escape)
    onnx.save(model, str(folder / "m.onnx"))
    with pytest.raises(ModelError, match="outside the model's folder"):
        load_onnx(folder / "m.onnx")


def test_absolute_external_data_path_is_refused(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    model = _external_data_model(folder, "weights.bin")
    _point_to_external(model.graph.initializer[0], str(folder / "weights.bin"))
    onnx.save(model, str(folder / "m.onnx"))
    with pytest.raises(ModelError, match="outside the model's folder"):
        load_onnx(folder / "m.onnx")
