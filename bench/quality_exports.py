"""Quantization quality on real exports: mnc beside the reference quantizers, same model, same samples.

    .venv/bin/python bench/quality_exports.py [--methods minmax percentile mse] [--models NAME ...]

The models are the fixtures in tests/fixtures/exports (written by the real exporters: tf2onnx and
TFLiteConverter from Keras, torch.onnx TorchScript and dynamo from torchvision; see the scripts
there). Every quantizer calibrates on the same 16 samples (exports/samples.npz "calibration") and
is evaluated on the 32 held-out samples, each given in the model's own layout:

  * mnc: `mnc compile` with --calibration-method minmax / percentile / mse; int8 logits from mnc's
    int8 interpreter, which tests/frontends/test_exporter_fixtures.py proves equal to the generated C.
  * onnxruntime `quantize_static` (run here, in this environment): QDQ, per-channel int8 weights,
    int8 activations, calibration MinMax / Percentile / Entropy; run by onnxruntime.
  * TensorFlow's converter (Keras models only): the full-int8 .tflite that the fixture script
    made with the same calibration samples as representative dataset (TensorFlow is not in this
    environment, so its output model is the stored fixture); run by LiteRT.

Against the float model run by its own runtime (onnxruntime for .onnx, LiteRT for .tflite), per
held-out input: Pearson correlation of the dequantized int8 logits with the float logits (mean and
worst input) and top-1 agreement. Random weights and 4 classes: the numbers measure quantization
error, not task accuracy. Prints only; never asserts.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):   # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from bench.common import REPO, emit, table

EXPORTS = REPO / "tests" / "fixtures" / "exports"
METHODS = ("minmax", "percentile", "mse")
ORT_METHODS = ("MinMax", "Percentile", "Entropy")
FLOAT_MODELS = ("keras_mobilenet_v1.onnx", "keras_mobilenet_v2.onnx", "keras_mobilenet_v3_small.onnx",
                "keras_mobilenet_v1.tflite", "keras_mobilenet_v2.tflite", "keras_mobilenet_v3_small.tflite",
                "torch_mobilenet_v2_ts.onnx", "torch_mobilenet_v3_small_ts.onnx", "torch_mobilenet_v3_large_ts.onnx",
                "torch_mobilenet_v2_dynamo.onnx", "torch_mobilenet_v3_small_dynamo.onnx",
                "torch_mobilenet_v3_large_dynamo.onnx")
HEADERS = ["model", "quantizer", "corr mean", "corr worst", "top-1 agree"]


def samples(layout: str) -> tuple[np.ndarray, np.ndarray]:
    """(calibration [16, ...], held-out [32, ...]) float inputs pixel / 127.5 - 1 in `layout`."""
    data = np.load(EXPORTS / "samples.npz")
    arrays = [(data[k].astype(np.float32) / np.float32(127.5) - np.float32(1.0)) for k in ("calibration", "held_out")]
    return tuple(np.ascontiguousarray(a.transpose(0, 3, 1, 2)) if layout == "NCHW" else a for a in arrays)


def model_layout(path: Path) -> str:
    return "NCHW" if path.name.startswith("torch_") else "NHWC"


# ---- the float references -----------------------------------------------------------------------

def onnx_outputs(model: str | bytes, xs: np.ndarray) -> list[np.ndarray]:
    import onnxruntime as ort

    sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    return [sess.run(None, {name: x[None]})[0].reshape(-1).astype(np.float64) for x in xs]


def tflite_outputs(path: Path, xs: np.ndarray) -> list[np.ndarray]:
    """Float logits of a .tflite run by LiteRT (int8 models: input quantized, output dequantized)."""
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_path=str(path))
    interp.allocate_tensors()
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    results = []
    for x in xs:
        feed = x[None]
        if inp["dtype"] == np.int8:
            scale, zp = inp["quantization"]
            feed = np.clip(np.round(feed / scale) + zp, -128, 127).astype(np.int8)
        interp.set_tensor(inp["index"], feed)
        interp.invoke()
        y = interp.get_tensor(out["index"]).reshape(-1).astype(np.float64)
        if out["dtype"] == np.int8:
            scale, zp = out["quantization"]
            y = (y - zp) * scale
        results.append(y)
    return results


def float_outputs(path: Path, xs: np.ndarray) -> list[np.ndarray]:
    return onnx_outputs(str(path), xs) if path.suffix == ".onnx" else tflite_outputs(path, xs)


# ---- the quantizers -----------------------------------------------------------------------------

def mnc_outputs(path: Path, method: str, calibration: np.ndarray, xs: np.ndarray, tmp: Path) -> list[np.ndarray]:
    from mnc.compiler import load_model_file, optimize_and_quantize
    from mnc.interpreter import run_single
    from mnc.layout import to_c_layout
    from mnc.options import CompileOptions

    cal_file = tmp / f"calibration_{model_layout(path)}.npy"
    np.save(cal_file, calibration)
    qgraph = optimize_and_quantize(load_model_file(path), CompileOptions(calibration=cal_file,
                                                                         calibration_method=method))
    x_t, y_t = qgraph.tensor(qgraph.inputs[0]), qgraph.tensor(qgraph.outputs[0])
    spec = {"shape": list(x_t.shape), "layout": model_layout(path)}
    results = []
    for x in xs:
        xq = x_t.quant.quantize(to_c_layout(x[None], spec, "held-out sample"))
        results.append(y_t.quant.dequantize(run_single(qgraph, xq, "int8")).reshape(-1).astype(np.float64))
    return results


class _Samples:
    """onnxruntime's CalibrationDataReader protocol over the calibration samples."""

    def __init__(self, xs: np.ndarray, name: str) -> None:
        self._feeds = iter([{name: x[None]} for x in xs])

    def get_next(self):
        return next(self._feeds, None)


def ort_outputs(path: Path, method: str, calibration: np.ndarray, xs: np.ndarray, tmp: Path) -> list[np.ndarray]:
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    name = onnx.load(str(path), load_external_data=False).graph.input[0].name
    out = tmp / f"{path.stem}_ort_{method}.onnx"
    quantize_static(str(path), str(out), _Samples(calibration, name), quant_format=QuantFormat.QDQ,
                    per_channel=True, activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                    calibrate_method=getattr(CalibrationMethod, method))
    return onnx_outputs(str(out), xs)


# ---- agreement ----------------------------------------------------------------------------------

def agreement(got: list[np.ndarray], ref: list[np.ndarray]) -> tuple[float, float, float]:
    """(mean and worst per-input Pearson correlation, top-1 agreement)."""
    corr = [float(np.corrcoef(g, r)[0, 1]) for g, r in zip(got, ref)]
    top1 = float(np.mean([np.argmax(g) == np.argmax(r) for g, r in zip(got, ref)]))
    return float(np.mean(corr)), float(np.min(corr)), top1


def rows_for(path: Path, methods, tmp: Path) -> list[list[str]]:
    calibration, held_out = samples(model_layout(path))
    reference = float_outputs(path, held_out)
    results = [(f"mnc {m}", mnc_outputs(path, m, calibration, held_out, tmp)) for m in methods]
    if path.suffix == ".onnx":
        results += [(f"onnxruntime {m}", ort_outputs(path, m, calibration, held_out, tmp)) for m in ORT_METHODS]
    int8_tflite = path.with_name(f"{path.stem}_int8.tflite")
    if path.suffix == ".tflite" and int8_tflite.is_file():
        results.append(("TF converter int8", tflite_outputs(int8_tflite, held_out)))
    rows = []
    for quantizer, outputs in results:
        mean, worst, top1 = agreement(outputs, reference)
        rows.append([path.name, quantizer, f"{mean:.4f}", f"{worst:.4f}", f"{100 * top1:.1f}%"])
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(FLOAT_MODELS), help="fixture file names")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="mnc-bench-exports-") as tmp:
        for name in args.models:
            rows += rows_for(EXPORTS / name, args.methods, Path(tmp))
    emit(table(HEADERS, rows, left=2, title="int8 vs float logits on real exports: mnc beside the reference "
                                            "quantizers (16 calibration, 32 held-out photo crops, 64x64)"))


if __name__ == "__main__":
    main()
