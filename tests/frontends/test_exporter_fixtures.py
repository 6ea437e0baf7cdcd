"""Models as the everyday exporters write them, in their own layout: compiled, run, byte for byte.

The fixtures in tests/fixtures/exports were written by the real tools (tf2onnx and TFLiteConverter
from Keras; torch.onnx TorchScript and dynamo from torchvision; onnxruntime's quantize_static), by
the scripts beside them, which pin the exporter versions; exports/fixtures.json records who wrote
each file. TensorFlow and torch are not needed here.

Every fixture: compiled with the calibration samples given in the model's own layout (NHWC for
Keras/TFLite/tf2onnx, NCHW for PyTorch), run through `mnc run` with held-out inputs in that layout,
and the C output must equal mnc's int8 reference (the interpreter) byte for byte. tf2onnx and
TFLite fixtures must leave no transpose in the generated C. No fixture may produce an internal error.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from mnc.cli import main
from mnc.compiler import compile_model
from mnc.interpreter import run_single
from mnc.layout import to_c_layout
from mnc.options import CompileOptions
from tests.conftest import REPO, need_tool

pytestmark = pytest.mark.slow

EXPORTS = REPO / "tests" / "fixtures" / "exports"
INFO = json.loads((EXPORTS / "fixtures.json").read_text())
FIXTURES = sorted(INFO)
RUN_SAMPLES = 2
NO_TRANSPOSE = tuple(name for name in FIXTURES if name.startswith("keras_"))


def pixels(split: str, layout: str) -> np.ndarray:
    """uint8 samples (mnc's default preprocessing maps 0..255 onto the models' [-1, 1]) in `layout`."""
    x = np.load(EXPORTS / "samples.npz")[split]
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2)) if layout == "NCHW" else x


def float_input(x_pixels: np.ndarray) -> np.ndarray:
    return (x_pixels.astype(np.float32) / np.float32(127.5) - np.float32(1.0)).astype(np.float32)


def invoke(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in argv])
    captured = capsys.readouterr()
    return exc.value.code, captured.out, captured.err


@pytest.fixture(scope="module", params=FIXTURES)
def compiled(request, tmp_path_factory):
    name = request.param
    folder = tmp_path_factory.mktemp(Path(name).stem)
    layout = INFO[name]["layout"]
    calibration = folder / "calibration.npy"
    np.save(calibration, pixels("calibration", layout))
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # no synthetic calibration, nothing unexpected
        result = compile_model(EXPORTS / name, CompileOptions(out_dir=folder / "pkg", calibration=calibration))
    return name, layout, result, folder


def test_runs_in_its_own_layout_and_equals_the_int8_reference(compiled, capsys):
    need_tool("gcc")
    name, layout, result, folder = compiled
    assert result.manifest["input"]["layout"] == layout
    assert result.manifest["input"]["model_shape"] == ([1, 3, 64, 64] if layout == "NCHW" else [1, 64, 64, 3])
    spec = result.manifest["input"]
    for i, x in enumerate(float_input(pixels("held_out", layout)[:RUN_SAMPLES])):
        np.save(folder / f"x{i}.npy", x)   # one sample in the model's layout, without the batch axis
        status, _, err = invoke(capsys, "run", result.out_dir, "--input", folder / f"x{i}.npy",
                                "--output", folder / f"y{i}.npy")
        assert status == 0, err
        x_q = result.graph.tensor(result.graph.inputs[0]).quant.quantize(to_c_layout(x, spec, "sample"))
        expected = run_single(result.graph, x_q, "int8")
        assert np.array_equal(np.load(folder / f"y{i}.npy"), expected), f"{name}: C differs from the int8 reference"


def test_no_transpose_is_left_from_keras_exports(compiled):
    name, _, result, _ = compiled
    if name not in NO_TRANSPOSE:
        pytest.skip("NCHW exports have no layout translation to cancel")
    assert "transpose" not in [op.kind for op in result.graph.ops()]
    assert "transpose" not in (result.out_dir / "model.c").read_text()


def test_other_layouts_are_refused_in_one_line(compiled, capsys):
    name, layout, result, folder = compiled
    x = float_input(pixels("held_out", layout)[:1])
    wrong = x.transpose(0, 2, 3, 1) if layout == "NCHW" else x.transpose(0, 3, 1, 2)
    np.save(folder / "wrong.npy", wrong)
    status, _, err = invoke(capsys, "run", result.out_dir, "--input", folder / "wrong.npy")
    assert status == 1 and len(err.strip().splitlines()) == 1
    other = "NHWC" if layout == "NCHW" else "NCHW"
    assert f"({layout}, as exported); it looks like {other}" in err


@pytest.mark.parametrize("name", FIXTURES)
def test_no_fixture_gives_an_internal_error(capsys, tmp_path, name):
    """`mnc info` on every fixture; the compiles above cover `mnc compile` (an internal error there
    fails them, as every fixture must compile)."""
    status, out, err = invoke(capsys, "info", EXPORTS / name)
    assert "internal error" not in err
    assert status == 0, err


FLOAT_FIXTURES = [n for n in FIXTURES if not n.endswith("_int8.tflite") and not n.startswith("ort_qdq")]


@pytest.mark.parametrize("name", FLOAT_FIXTURES)
def test_float_import_computes_what_the_exporters_runtime_computes(name):
    """mnc's float graph (imported, layout translated) against onnxruntime / LiteRT on the file itself."""
    from mnc.compiler import load_model_file

    layout = INFO[name]["layout"]
    graph = load_model_file(EXPORTS / name)
    spec = {"shape": list(graph.tensor(graph.inputs[0]).shape), "layout": layout}
    for x in float_input(pixels("held_out", layout)[:RUN_SAMPLES]):
        got = run_single(graph, to_c_layout(x, spec, "sample")).reshape(-1)
        want = reference_float(EXPORTS / name, x[None]).reshape(-1)
        assert np.max(np.abs(got - want)) <= 1e-4 * max(1.0, np.max(np.abs(want))), name


KERAS_FLOAT_TFLITE = [n for n in FIXTURES if n.startswith("keras_") and n.endswith(".tflite")
                      and not n.endswith("_int8.tflite")]


@pytest.mark.parametrize("name", KERAS_FLOAT_TFLITE)
def test_minmax_quantization_equals_tensorflows_converter(name, tmp_path):
    """On the calibration samples TensorFlow's converter was given (make_keras_fixtures.py), mnc's
    min/max calibration of the float .tflite gives every activation tensor the scale and zero point
    TF gave the same tensor in its full-int8 conversion (the projections before residual adds
    included); scales to float32 rounding of the observed extremes."""
    from mnc.compiler import load_model_file, optimize_and_quantize
    from mnc.passes.pipeline import optimize

    np.save(tmp_path / "calibration.npy", float_input(pixels("calibration", "NHWC")))
    options = CompileOptions(calibration=tmp_path / "calibration.npy")
    ours = optimize_and_quantize(load_model_file(EXPORTS / name), options)
    tfs = optimize(load_model_file(EXPORTS / name.replace(".tflite", "_int8.tflite")))
    assert [op.kind for op in ours.ops()] == [op.kind for op in tfs.ops()]
    for op, tf_op in zip(ours.ops(), tfs.ops()):
        (scale, zero_point), (tf_scale, tf_zero_point) = (
            g.tensor(o.outputs[0]).quant.single() for g, o in ((ours, op), (tfs, tf_op)))
        assert zero_point == tf_zero_point and scale == pytest.approx(tf_scale, rel=1e-5), (op.name, tf_op.name)


def reference_float(path: Path, x: np.ndarray) -> np.ndarray:
    if path.suffix == ".onnx":
        import onnxruntime as ort

        sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        return sess.run(None, {sess.get_inputs()[0].name: x})[0]
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_path=str(path))
    interp.allocate_tensors()
    interp.set_tensor(interp.get_input_details()[0]["index"], x)
    interp.invoke()
    return interp.get_tensor(interp.get_output_details()[0]["index"])
