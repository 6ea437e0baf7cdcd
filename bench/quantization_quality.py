"""Quantization quality: how closely mnc's int8 model follows the float model, per MobileNet family
and calibration method, on the ONNX path (built-in variant -> float ONNX -> mnc import -> int8).

    .venv/bin/python bench/quantization_quality.py [--models v1-0.25 v2-0.35 v3s-0.75 v3l-0.75]
                                                   [--methods minmax percentile mse] [--held-out 32]

Every model is a built-in variant at 96x96 with 16 classes (seeded weights), exported with
`mnc.frontends.onnx.exporter` and imported back. Calibration uses `synthetic_inputs(shape, 16, seed=1)`,
evaluation the held-out `synthetic_inputs(shape, N, seed=2)`. All numbers compare logits (the tensor
before the final Softmax): probabilities over 16 classes would hide differences.

Table 1, the float model: mnc's float interpreter on the imported graph against onnxruntime running
the exported file (cosine, largest absolute difference, top-1 agreement): the import is faithful.
Table 2, int8 against float, per calibration method: cosine of the dequantized int8 logits with the
float logits (mean and worst sample) and top-1 agreement, against mnc's float interpreter and against
onnxruntime. The int8 logits come from mnc's int8 interpreter, which the test suite proves equal to
the generated C byte for byte (tests/frontends/test_onnx_families.py, tests/test_families.py).
Seeded weights and synthetic inputs: the numbers measure quantization error, not task accuracy.
Prints only; never asserts.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):   # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from bench.common import emit, quiet_warnings, table

MODELS = ("v1-0.25", "v2-0.35", "v3s-0.75", "v3l-0.75")
METHODS = ("minmax", "percentile", "mse")
RESOLUTION = 96
CLASSES = 16
CALIBRATION_SAMPLES, CALIBRATION_SEED = 16, 1
HELD_OUT_SAMPLES, HELD_OUT_SEED = 32, 2


@dataclass(frozen=True)
class Agreement:
    """How a set of logits follows reference logits over the held-out samples."""

    cosine_mean: float
    cosine_min: float
    max_abs: float
    top1: float          # fraction of samples whose argmax matches

    @classmethod
    def of(cls, got: list[np.ndarray], ref: list[np.ndarray]) -> Agreement:
        cosines = [_cosine(g, r) for g, r in zip(got, ref)]
        max_abs = max(float(np.max(np.abs(g.ravel() - r.ravel()))) for g, r in zip(got, ref))
        top1 = np.mean([np.argmax(g) == np.argmax(r) for g, r in zip(got, ref)])
        return cls(float(np.mean(cosines)), float(np.min(cosines)), max_abs, float(top1))


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


# ---- the ONNX path ----------------------------------------------------------------------------

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
    import onnxruntime as ort
    from onnx import TensorProto, helper

    model = onnx.ModelProto.FromString(model.SerializeToString())
    (logits,) = [n.input[0] for n in model.graph.node if n.op_type == "Softmax"]
    model.graph.output.append(helper.make_tensor_value_info(logits, TensorProto.FLOAT, None))
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    feed = sess.get_inputs()[0].name
    return [sess.run([logits], {feed: np.ascontiguousarray(x.transpose(0, 3, 1, 2))})[0] for x in held_out]


def float_logits(m: OnnxModel) -> list[np.ndarray]:
    from mnc.interpreter import run

    return [run(m.float_graph, x, keep_all=True)[m.logits] for x in m.held_out]


def int8_logits(m: OnnxModel, method: str) -> list[np.ndarray]:
    """Quantize with `method`, then the dequantized int8 logits of each held-out sample."""
    from mnc.interpreter import run
    from mnc.passes.quantize import quantize_graph

    qgraph = quantize_graph(m.float_graph, m.calibration, method)
    qin, qlogits = qgraph.tensor(qgraph.inputs[0]).quant, qgraph.tensor(m.logits).quant
    return [qlogits.dequantize(run(qgraph, qin.quantize(x), mode="int8", keep_all=True)[m.logits])
            for x in m.held_out]


# ---- tables -----------------------------------------------------------------------------------

def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


FLOAT_HEADERS = ["model", "cosine min", "max |diff|", "top-1 agree"]
INT8_HEADERS = ["model", "method", "cosine mean", "cosine min", "top-1 agree",
                "cosine min vs ORT", "top-1 vs ORT"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), help="built-in variants")
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--held-out", type=int, default=HELD_OUT_SAMPLES, help="evaluation samples")
    args = parser.parse_args(argv)
    quiet_warnings()

    float_rows, int8_rows = [], []
    with tempfile.TemporaryDirectory(prefix="mnc-bench-quant-") as tmp:
        for variant in args.models:
            m = exported_and_imported(variant, Path(tmp), args.held_out)
            reference = float_logits(m)
            f = Agreement.of(reference, m.ort_logits)
            float_rows.append([variant, f"{f.cosine_min:.6f}", f"{f.max_abs:.2e}", _pct(f.top1)])
            for method in args.methods:
                q = int8_logits(m, method)
                vs_float, vs_ort = Agreement.of(q, reference), Agreement.of(q, m.ort_logits)
                int8_rows.append([variant, method, f"{vs_float.cosine_mean:.4f}", f"{vs_float.cosine_min:.4f}",
                                  _pct(vs_float.top1), f"{vs_ort.cosine_min:.4f}", _pct(vs_ort.top1)])
    setting = f"{RESOLUTION}x{RESOLUTION}, {CLASSES} classes, {args.held_out} held-out synthetic inputs"
    emit(table(FLOAT_HEADERS, float_rows,
               title=f"Float: mnc interpreter (imported ONNX) vs onnxruntime, logits ({setting})"))
    emit()
    emit(table(INT8_HEADERS, int8_rows, left=2,
               title=f"int8 vs float logits per calibration method, ONNX path ({setting})"))


if __name__ == "__main__":
    main()
