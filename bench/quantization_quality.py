"""Quantization quality: how closely mnc's int8 model follows the float model, per calibration method,
on built-in variants (ONNX path) and on real exports beside the reference quantizers.

    .venv/bin/python bench/quantization_quality.py [--models v1-0.25 v2-0.35 v3s-0.75 v3l-0.75]
                                                   [--exports NAME ...] [--methods minmax percentile mse]
                                                   [--held-out 32]

`--models` (built-in variants) and `--exports` (fixture file names) each default to all; give either
without names to skip that part. All numbers compare logits: probabilities would hide differences.
Per evaluation input: Pearson correlation of the dequantized int8 logits with the float logits (mean
and worst input), and top-1 agreement. The int8 logits come from mnc's int8 interpreter, which the
test suite proves equal to the generated C byte for byte (tests/frontends/test_onnx_families.py,
tests/test_families.py, tests/frontends/test_exporter_fixtures.py). Random or seeded weights: the
numbers measure quantization error, not task accuracy. Prints only; never asserts.

Part 1, built-in variants at 96x96 with 16 classes (seeded weights), exported with
`mnc.frontends.onnx.exporter` and imported back; calibration `synthetic_inputs(shape, 16, seed=1)`,
evaluation the held-out `synthetic_inputs(shape, N, seed=2)`. Table 1: mnc's float interpreter on the
imported graph against onnxruntime running the exported file (the import is faithful). Table 2: int8
against float per calibration method, without and with `--bias-correction`, against mnc's float
interpreter (with the logits' SQNR) and against onnxruntime.

Part 2, the real exports in tests/fixtures/exports (tf2onnx and TFLiteConverter from Keras, torch.onnx
TorchScript and dynamo from torchvision; width 0.25, 64x64, 16 classes; see the scripts there). Every
quantizer calibrates on the same 16 photo crops (samples.npz "calibration") and is evaluated on the 48
held-out crops and their mirror images (96 inputs), each in the model's own layout, against the float
model run by its own runtime (onnxruntime for .onnx, LiteRT for .tflite):
  * mnc: the compile path (`--calibration FILE --calibration-method minmax / percentile / mse`), each
    also with `--bias-correction` (listed, but left out of the summary's best-of choice so mnc does
    not get twice as many tries as onnxruntime).
  * onnxruntime `quantize_static` (.onnx models, run here): QDQ, per-channel int8 weights, int8
    activations, calibration MinMax / Percentile / Entropy; run by onnxruntime.
  * TensorFlow's converter (Keras models, both the .tflite and the tf2onnx .onnx of the same Keras
    model): the full-int8 .tflite the fixture script made with the same calibration samples as
    representative dataset (TensorFlow is not in this environment); run by LiteRT.
The summary puts mnc's best method beside the best reference method (by worst-input correlation),
with the SQNR of the logits (all inputs pooled) and on how many inputs mnc's correlation is the higher.
"gap 90% interval" resamples the evaluation inputs (paired, 2000 bootstrap draws): a worst-input
statistic rests on one or two inputs, and the interval shows how far the gap moves with them.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):   # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from bench.common import REPO, emit, quiet_warnings, table

MODELS = ("v1-0.25", "v2-0.35", "v3s-0.75", "v3l-0.75")
METHODS = ("minmax", "percentile", "mse")
RESOLUTION = 96
CLASSES = 16
CALIBRATION_SAMPLES, CALIBRATION_SEED = 16, 1
HELD_OUT_SAMPLES, HELD_OUT_SEED = 32, 2

EXPORTS = REPO / "tests" / "fixtures" / "exports"
EXPORTED_MODELS = ("keras_mobilenet_v1.onnx", "keras_mobilenet_v1.tflite", "keras_mobilenet_v2.onnx",
                   "keras_mobilenet_v2.tflite", "keras_mobilenet_v3_small.onnx", "keras_mobilenet_v3_small.tflite",
                   "torch_mobilenet_v2_ts.onnx", "torch_mobilenet_v2_dynamo.onnx",
                   "torch_mobilenet_v3_small_ts.onnx", "torch_mobilenet_v3_small_dynamo.onnx",
                   "torch_mobilenet_v3_large_ts.onnx", "torch_mobilenet_v3_large_dynamo.onnx")
ORT_METHODS = ("MinMax", "Percentile", "Entropy")
MAX_CORRELATION_GAP = 0.01   # issue 9: mnc's worst-input correlation at most this far below the reference's


@dataclass(frozen=True)
class Agreement:
    """How a set of logits follows reference logits over the evaluation inputs."""

    corr_mean: float
    corr_min: float
    max_abs: float
    top1: float                      # fraction of inputs whose argmax matches
    sqnr_db: float                   # float logits' energy over the error's, all inputs pooled
    per_input: tuple[float, ...]     # the correlation of each input, for paired comparisons

    @classmethod
    def of(cls, got: list[np.ndarray], ref: list[np.ndarray]) -> Agreement:
        corr = [_correlation(g, r) for g, r in zip(got, ref)]
        max_abs = max(float(np.max(np.abs(g.ravel() - r.ravel()))) for g, r in zip(got, ref))
        top1 = np.mean([np.argmax(g) == np.argmax(r) for g, r in zip(got, ref)])
        signal = sum(float(np.sum(np.square(r.astype(np.float64)))) for r in ref)
        noise = sum(float(np.sum(np.square(g.ravel().astype(np.float64) - r.ravel()))) for g, r in zip(got, ref))
        return cls(float(np.mean(corr)), float(np.min(corr)), max_abs, float(top1),
                   float(10 * np.log10(signal / max(noise, 1e-30))), tuple(corr))


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a.ravel().astype(np.float64), b.ravel().astype(np.float64))[0, 1])


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


# ---- part 1: built-in variants on the ONNX path ---------------------------------------------------

@dataclass
class OnnxModel:
    float_graph: object        # the imported graph after the float passes (BN folded, activations fused)
    logits: str                # mnc tensor feeding the Softmax
    ort_logits: list[np.ndarray]
    held_out: np.ndarray       # [N, 1, H, W, C]
    calibration: np.ndarray


def exported_and_imported(variant: str, work: Path, held_out_count: int) -> OnnxModel:
    from mnc.frontends.builtin import build_variant
    from mnc.frontends.onnx import load_onnx
    from mnc.frontends.onnx.exporter import export_onnx
    from mnc.data import synthetic_inputs
    from mnc.passes.pipeline import optimize

    graph = build_variant(variant, classes=CLASSES, resolution=RESOLUTION)
    path = work / f"{graph.name}.onnx"
    model = export_onnx(graph, path)
    imported = optimize(load_onnx(path))
    shape = imported.tensor(imported.inputs[0]).shape
    held_out = synthetic_inputs(shape, held_out_count, HELD_OUT_SEED)
    return OnnxModel(imported, softmax_input(imported), onnxruntime_logits(model, held_out), held_out,
                     synthetic_inputs(shape, CALIBRATION_SAMPLES, CALIBRATION_SEED))


def softmax_input(graph) -> str:
    (softmax,) = [op for op in graph.ops() if op.kind == "softmax"]
    return softmax.inputs[0]


def onnxruntime_logits(model, held_out: np.ndarray) -> list[np.ndarray]:
    """The exported model's Softmax input, run by onnxruntime on each (NCHW-transposed) sample."""
    import onnx
    from onnx import TensorProto, helper

    model = onnx.ModelProto.FromString(model.SerializeToString())
    (logits,) = [n.input[0] for n in model.graph.node if n.op_type == "Softmax"]
    model.graph.output.append(helper.make_tensor_value_info(logits, TensorProto.FLOAT, None))
    return onnx_outputs(model.SerializeToString(), [np.ascontiguousarray(x.transpose(0, 3, 1, 2)) for x in held_out],
                        logits)


def float_logits(m: OnnxModel) -> list[np.ndarray]:
    from mnc.interpreter import run

    return [run(m.float_graph, x, keep_all=True)[m.logits] for x in m.held_out]


def int8_logits(m: OnnxModel, method: str, bias_correction: bool = False) -> list[np.ndarray]:
    """Quantize with `method`, then the dequantized int8 logits of each held-out sample."""
    from mnc.interpreter import run
    from mnc.passes.quantize import quantize_graph

    qgraph = quantize_graph(m.float_graph, m.calibration, method, bias_correction=bias_correction)
    qin, qlogits = qgraph.tensor(qgraph.inputs[0]).quant, qgraph.tensor(m.logits).quant
    return [qlogits.dequantize(run(qgraph, qin.quantize(x), mode="int8", keep_all=True)[m.logits])
            for x in m.held_out]


FLOAT_HEADERS = ["model", "corr worst", "max |diff|", "top-1 agree"]
INT8_HEADERS = ["model", "method", "corr mean", "corr worst", "top-1 agree", "SQNR", "corr worst vs ORT",
                "top-1 vs ORT"]


def builtin_variants(variants: list[str], methods: list[str], held_out: int) -> None:
    float_rows, int8_rows = [], []
    with tempfile.TemporaryDirectory(prefix="mnc-bench-quant-") as tmp:
        for variant in variants:
            m = exported_and_imported(variant, Path(tmp), held_out)
            reference = float_logits(m)
            f = Agreement.of(reference, m.ort_logits)
            float_rows.append([variant, f"{f.corr_min:.6f}", f"{f.max_abs:.2e}", _pct(f.top1)])
            for method, bias_correction in [(m, bc) for bc in (False, True) for m in methods]:
                q = int8_logits(m, method, bias_correction)
                vs_float, vs_ort = Agreement.of(q, reference), Agreement.of(q, m.ort_logits)
                label = f"{method} + bias correction" if bias_correction else method
                int8_rows.append([variant, label, f"{vs_float.corr_mean:.4f}", f"{vs_float.corr_min:.4f}",
                                  _pct(vs_float.top1), f"{vs_float.sqnr_db:.1f} dB", f"{vs_ort.corr_min:.4f}",
                                  _pct(vs_ort.top1)])
    setting = f"{RESOLUTION}x{RESOLUTION}, {CLASSES} classes, {held_out} held-out synthetic inputs"
    emit(table(FLOAT_HEADERS, float_rows,
               title=f"Float: mnc interpreter (imported ONNX) vs onnxruntime, logits ({setting})"))
    emit()
    emit(table(INT8_HEADERS, int8_rows, left=2,
               title=f"int8 vs float logits per calibration method, ONNX path ({setting})"))


# ---- part 2: real exports beside the reference quantizers -------------------------------------------

def model_layout(path: Path) -> str:
    return "NCHW" if path.name.startswith("torch_") else "NHWC"


def export_samples(layout: str) -> tuple[np.ndarray, np.ndarray]:
    """(calibration [16, ...], evaluation [96, ...]): float inputs pixel / 127.5 - 1 in `layout`; the
    evaluation set is the held-out crops followed by their mirror images."""
    data = np.load(EXPORTS / "samples.npz")
    held_out = data["held_out"]
    pixels = (data["calibration"], np.concatenate([held_out, held_out[:, :, ::-1]]))
    arrays = [p.astype(np.float32) / np.float32(127.5) - np.float32(1.0) for p in pixels]
    return tuple(np.ascontiguousarray(a.transpose(0, 3, 1, 2)) if layout == "NCHW" else a for a in arrays)


def onnx_outputs(model: str | bytes, xs, output: str | None = None) -> list[np.ndarray]:
    """One output (the first by default) of an ONNX model run by onnxruntime on each input [1, ...]."""
    import onnxruntime as ort

    sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    return [sess.run([output] if output else None, {name: x})[0] for x in xs]


def tflite_outputs(path: Path, xs: np.ndarray) -> list[np.ndarray]:
    """Float logits of a .tflite run by LiteRT (int8 models: input quantized, output dequantized).

    The input is quantized as TFLite's reference QUANTIZE does (round half away from zero), the
    rounding mnc's path uses too: pixel / 127.5 - 1 at scale 2/255 lands exactly on halves, so
    numpy's round-half-to-even would feed the TF model a different int8 image than mnc gets."""
    from ai_edge_litert.interpreter import Interpreter
    from mnc.ir import QuantParams

    interp = Interpreter(model_path=str(path))
    interp.allocate_tensors()
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    results = []
    for x in xs:
        feed = x[None]
        if inp["dtype"] == np.int8:
            feed = QuantParams.per_tensor(*inp["quantization"]).quantize(feed)
        interp.set_tensor(inp["index"], feed)
        interp.invoke()
        y = interp.get_tensor(out["index"]).astype(np.float64)
        if out["dtype"] == np.int8:
            scale, zp = out["quantization"]
            y = (y - zp) * scale
        results.append(y)
    return results


def exporter_float_outputs(path: Path, xs: np.ndarray) -> list[np.ndarray]:
    return onnx_outputs(str(path), [x[None] for x in xs]) if path.suffix == ".onnx" else tflite_outputs(path, xs)


def mnc_outputs(path: Path, method: str, calibration: np.ndarray, xs: np.ndarray, tmp: Path,
                bias_correction: bool = False) -> list[np.ndarray]:
    """The compile path on a calibration file in the model's layout; int8 logits dequantized."""
    from mnc.compiler import load_model_file, optimize_and_quantize
    from mnc.interpreter import run_single
    from mnc.layout import to_c_layout
    from mnc.options import CompileOptions

    cal_file = tmp / f"calibration_{model_layout(path)}.npy"
    np.save(cal_file, calibration)
    options = CompileOptions(calibration=cal_file, calibration_method=method, bias_correction=bias_correction)
    qgraph = optimize_and_quantize(load_model_file(path), options)
    x_t, y_t = qgraph.tensor(qgraph.inputs[0]), qgraph.tensor(qgraph.outputs[0])
    spec = {"shape": list(x_t.shape), "layout": model_layout(path)}
    return [y_t.quant.dequantize(run_single(qgraph, x_t.quant.quantize(to_c_layout(x[None], spec, "sample")), "int8"))
            for x in xs]


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
    with _quiet_onnxruntime():
        quantize_static(str(path), str(out), _Samples(calibration, name), quant_format=QuantFormat.QDQ,
                        per_channel=True, activation_type=QuantType.QInt8, weight_type=QuantType.QInt8,
                        calibrate_method=getattr(CalibrationMethod, method))
    return onnx_outputs(str(out), [x[None] for x in xs])


@contextlib.contextmanager
def _quiet_onnxruntime():
    """quantize_static prints calibration progress and logs advice; keep the tables readable."""
    logging.disable(logging.WARNING)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        logging.disable(logging.NOTSET)


def tf_converter_model(path: Path) -> Path | None:
    """TensorFlow's full-int8 conversion of the Keras model behind a Keras fixture (.onnx or .tflite)."""
    int8 = path.with_name(f"{path.stem}_int8.tflite")
    return int8 if path.name.startswith("keras_") and int8.is_file() else None


@dataclass(frozen=True)
class QuantizerResult:
    quantizer: str
    is_mnc: bool
    agreement: Agreement
    in_summary: bool = True          # the summary's best-of choice: each tool's plain methods only


def quantizer_results(path: Path, methods: list[str], tmp: Path) -> list[QuantizerResult]:
    calibration, evaluation = export_samples(model_layout(path))
    reference = exporter_float_outputs(path, evaluation)
    runs = [(f"mnc {m}", True, lambda m=m: mnc_outputs(path, m, calibration, evaluation, tmp)) for m in methods]
    corrected = [(f"mnc {m} + bias correction", True,
                  lambda m=m: mnc_outputs(path, m, calibration, evaluation, tmp, bias_correction=True))
                 for m in methods]
    if path.suffix == ".onnx":
        runs += [(f"onnxruntime {m}", False, lambda m=m: ort_outputs(path, m, calibration, evaluation, tmp))
                 for m in ORT_METHODS]
    tf_int8 = tf_converter_model(path)
    if tf_int8 is not None:
        runs.append(("TF converter int8", False, lambda: tflite_outputs(tf_int8, evaluation)))
    return ([QuantizerResult(name, is_mnc, Agreement.of(run(), reference)) for name, is_mnc, run in runs]
            + [QuantizerResult(name, True, Agreement.of(run(), reference), in_summary=False)
               for name, _, run in corrected])


EXPORT_HEADERS = ["model", "quantizer", "corr mean", "corr worst", "top-1 agree", "SQNR"]
SUMMARY_HEADERS = ["model", "mnc best", "corr mean", "corr worst", "top-1", "SQNR", "reference best", "corr mean",
                   "corr worst", "top-1", "SQNR", "worst gap", "gap 90% interval", f"within {MAX_CORRELATION_GAP}",
                   "mnc closer on"]
BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED = 2000, 0


def summary_row(name: str, results: list[QuantizerResult]) -> list[str]:
    """mnc's best method beside the best reference method, both by worst-input correlation; then
    the gap, and on how many inputs mnc's correlation is the higher of the two (paired)."""
    def best(is_mnc: bool) -> QuantizerResult:
        return max((r for r in results if r.is_mnc == is_mnc and r.in_summary), key=lambda r: r.agreement.corr_min)

    mnc, ref = best(True), best(False)
    gap = mnc.agreement.corr_min - ref.agreement.corr_min
    closer = sum(m >= r for m, r in zip(mnc.agreement.per_input, ref.agreement.per_input))
    cells = [name]
    for r in (mnc, ref):
        a = r.agreement
        cells += [r.quantizer, f"{a.corr_mean:.4f}", f"{a.corr_min:.4f}", _pct(a.top1), f"{a.sqnr_db:.1f} dB"]
    low, high = worst_gap_interval(mnc.agreement.per_input, ref.agreement.per_input)
    return cells + [f"{gap:+.4f}", f"{low:+.3f} .. {high:+.3f}", "PASS" if gap >= -MAX_CORRELATION_GAP else "MISS",
                    f"{closer}/{len(mnc.agreement.per_input)}"]


def worst_gap_interval(mnc: tuple[float, ...], ref: tuple[float, ...]) -> tuple[float, float]:
    """5th and 95th percentiles of the worst-input gap over paired bootstrap resamples of the
    evaluation inputs: how much the gap hangs on which few inputs happen to be in the set."""
    m, r = np.asarray(mnc), np.asarray(ref)
    picks = np.random.default_rng(BOOTSTRAP_SEED).integers(0, len(m), (BOOTSTRAP_RESAMPLES, len(m)))
    gaps = m[picks].min(axis=1) - r[picks].min(axis=1)
    return float(np.percentile(gaps, 5)), float(np.percentile(gaps, 95))


def real_exports(names: list[str], methods: list[str]) -> None:
    import onnxruntime

    onnxruntime.set_default_logger_severity(3)   # no per-session notes about unused initializers
    rows, summary = [], []
    with tempfile.TemporaryDirectory(prefix="mnc-bench-exports-") as tmp:
        for name in names:
            results = quantizer_results(EXPORTS / name, methods, Path(tmp))
            rows += [[name, r.quantizer, f"{r.agreement.corr_mean:.4f}", f"{r.agreement.corr_min:.4f}",
                      _pct(r.agreement.top1), f"{r.agreement.sqnr_db:.2f} dB"] for r in results]
            summary.append(summary_row(name, results))
    calibration, evaluation = export_samples("NHWC")
    setting = f"{len(calibration)} calibration, {len(evaluation)} evaluation photo crops, 64x64, 16 classes"
    emit(table(EXPORT_HEADERS, rows, left=2,
               title=f"int8 vs float logits on real exports, mnc beside the reference quantizers ({setting})"))
    emit()
    emit(table(SUMMARY_HEADERS, summary, left=1,
               title="Summary: mnc's best calibration method beside the best reference quantizer"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=list(MODELS), help="built-in variants (none: skip)")
    parser.add_argument("--exports", nargs="*", default=list(EXPORTED_MODELS),
                        help="fixture files in tests/fixtures/exports (none: skip)")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--held-out", type=int, default=HELD_OUT_SAMPLES, help="evaluation samples (built-ins)")
    args = parser.parse_args(argv)
    quiet_warnings()
    if args.models:
        builtin_variants(args.models, args.methods, args.held_out)
    if args.models and args.exports:
        emit()
    if args.exports:
        real_exports(args.exports, args.methods)


if __name__ == "__main__":
    main()
