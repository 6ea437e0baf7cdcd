"""`mnc validate`: compile a .tflite model, run a debug build that dumps every layer's output, and
compare each layer with LiteRT's reference kernels (all intermediates kept) and the final output
with TFLite Micro.

Layers are matched to LiteRT tensors by `tensor.meta["tflite_index"]`, recorded by the TFLite
importer on every tensor it creates. A layer whose output has no TFLite counterpart (a tensor mnc
created itself) is listed but not compared. Values are compared as raw integers: the goal is
bit-exactness, so there is no tolerance anywhere.
"""

from __future__ import annotations

import importlib
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from mnc.compiler import compile_model
from mnc.data import default_input
from mnc.errors import MncError, UnsupportedError
from mnc.layout import checked_c_input, io_spec
from mnc.frontends.tflite import load_tflite
from mnc.options import CompileOptions
from mnc.oracles import run_litert, run_tflm
from mnc.runners import host
from mnc.safetext import escape


@dataclass(frozen=True)
class Mismatch:
    """The first differing element of a layer (C order), with both values."""

    position: tuple[int, ...]
    mnc: int
    reference: int


@dataclass(frozen=True)
class LayerReport:
    index: int                  # position among the compiled layers (alias layers included)
    name: str
    kind: str
    source: str                 # the TFLite op it came from
    tflite_index: int | None    # None: no TFLite counterpart, not compared
    elements: int
    mismatches: int
    max_abs_diff: int
    cosine: float | None
    first_mismatch: Mismatch | None

    @property
    def compared(self) -> bool:
        return self.tflite_index is not None


@dataclass(frozen=True)
class OutputCheck:
    oracle: str
    reference: list[int]
    mismatches: int


@dataclass(frozen=True)
class ValidationReport:
    model: str
    target: str
    output: list[int]
    layers: list[LayerReport]
    outputs: list[OutputCheck]   # the final output against each oracle

    @property
    def first_divergence(self) -> LayerReport | None:
        return next((layer for layer in self.layers if layer.mismatches), None)

    @property
    def ok(self) -> bool:
        return self.first_divergence is None and not any(check.mismatches for check in self.outputs)

    def to_dict(self) -> dict:
        first = self.first_divergence
        return {**asdict(self), "ok": self.ok, "first_divergence": None if first is None else first.name}


# ---- driver -------------------------------------------------------------------------------------

def validate(model: Path, x: np.ndarray | None = None, target: str = "host") -> ValidationReport:
    """Compile `model` for `target` into a temporary directory and check it layer by layer."""
    model = checked_model(model)
    if target != "host":
        raise UnsupportedError(f"validate runs the layer dump on the host only (got --target {target})")
    check_oracles_installed()
    with tempfile.TemporaryDirectory(prefix="mnc-validate-") as tmp:
        result = compile_model(model, CompileOptions(target=target, out_dir=Path(tmp) / "pkg", build_sizes=False))
        if x is None:
            x = default_input(result.manifest["input"])
        x = checked_c_input(np.asarray(x), result.manifest["input"]["shape"], "validate")
        run = host.run_dumped(result.out_dir, x)
    reference = run_litert(model, x, preserve_all=True)
    layers = compare_layers(result, x, run.layer_outputs, reference)
    outputs = [output_check("LiteRT (reference kernels)", run.output, run_litert(model, x)),
               output_check("TFLite Micro", run.output, run_tflm(model, x))]
    return ValidationReport(model.name, target, run.output.reshape(-1).tolist(), layers, outputs)


ORACLE_PACKAGES = (("ai_edge_litert", "ai-edge-litert"), ("tflite_micro", "tflite-micro"))


def check_oracles_installed() -> None:
    """Refuse, before compiling anything, when a reference interpreter validate compares with is missing."""
    missing = [dist for module, dist in ORACLE_PACKAGES if not _importable(module)]
    if missing:
        raise UnsupportedError(f"validate compares with TFLite's reference interpreters; install them with "
                               f"`pip install {' '.join(missing)}` (or `pip install 'mnc[test]'`)")


def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def checked_model(model: Path) -> Path:
    model = Path(model)
    if not model.is_file():
        raise MncError(f"model file {model} not found")
    if model.suffix.lower() != ".tflite":
        raise UnsupportedError(f"validate compares against TFLite, so it needs a .tflite model (got {model.name})")
    return model


# ---- inputs -------------------------------------------------------------------------------------

def model_input_spec(model: Path) -> dict:
    """{"shape", "scale", "zero_point"} of the model's input, as the manifest will record it."""
    graph = load_tflite(model)
    t = graph.tensor(graph.inputs[0])
    if t.dtype != "int8" or t.quant is None:
        raise UnsupportedError(f"validate needs a full-integer int8 model; input {t.name!r} is {t.dtype}")
    scale, zero_point = t.quant.single()
    return {**io_spec(t), "scale": scale, "zero_point": zero_point}


# ---- comparison ---------------------------------------------------------------------------------

def compare_layers(result, x: np.ndarray, dumps: list[bytes], reference: dict[int, np.ndarray]) -> list[LayerReport]:
    """One report per compiled layer; alias layers (reshape) reuse their input's bytes."""
    graph = result.graph
    values = {graph.inputs[0]: x.tobytes()}
    emitted = iter(dumps)
    reports = []
    for index, layer in enumerate(result.layers):
        call = layer.call
        values[call.outputs[0]] = values[call.inputs[0]] if call.is_alias else next(emitted)
        tensor = graph.tensor(call.outputs[0])
        actual = np.frombuffer(values[call.outputs[0]], dtype=tensor.dtype).reshape(tensor.shape)
        reports.append(layer_report(index, layer, tensor, actual, reference))
    return reports


def layer_report(index: int, layer, tensor, actual: np.ndarray, reference: dict[int, np.ndarray]) -> LayerReport:
    op = layer.op
    source = str(op.meta.get("source", op.name))
    tflite_index = tensor.meta.get("tflite_index")
    if tflite_index is None or tflite_index not in reference:
        return LayerReport(index, op.name, op.kind, source, None, actual.size, 0, 0, None, None)
    expected = reference[tflite_index]
    if expected.size != actual.size:
        raise MncError(f"layer {op.name}: mnc output has {actual.size} elements, TFLite tensor "
                       f"{tflite_index} has {expected.size}")
    expected = expected.reshape(actual.shape)
    diff = np.abs(actual.astype(np.int64) - expected.astype(np.int64))
    zero_point = int(tensor.quant.zero_point.reshape(-1)[0]) if tensor.quant is not None else 0
    return LayerReport(index, op.name, op.kind, source, int(tflite_index), int(actual.size),
                       int(np.count_nonzero(diff)), int(diff.max(initial=0)),
                       cosine(actual, expected, zero_point), first_mismatch(actual, expected))


def cosine(actual: np.ndarray, expected: np.ndarray, zero_point: int) -> float:
    """Cosine similarity of the real values (zero point removed; a per-tensor scale cancels)."""
    a = actual.astype(np.float64).reshape(-1) - zero_point
    b = expected.astype(np.float64).reshape(-1) - zero_point
    norms = float(np.linalg.norm(a) * np.linalg.norm(b))
    if norms == 0.0:
        return 1.0 if np.array_equal(a, b) else 0.0
    return float(np.dot(a, b) / norms)


def first_mismatch(actual: np.ndarray, expected: np.ndarray) -> Mismatch | None:
    flat = np.flatnonzero(actual.reshape(-1) != expected.reshape(-1))
    if flat.size == 0:
        return None
    position = tuple(int(i) for i in np.unravel_index(flat[0], actual.shape))
    return Mismatch(position, int(actual[position]), int(expected[position]))


def output_check(oracle: str, output: np.ndarray, reference: np.ndarray) -> OutputCheck:
    ref = np.asarray(reference).reshape(-1)
    mine = np.asarray(output).reshape(-1)
    if ref.size != mine.size:
        raise MncError(f"{oracle} output has {ref.size} elements, mnc's has {mine.size}")
    return OutputCheck(oracle, ref.astype(int).tolist(), int(np.count_nonzero(mine != ref)))


# ---- printing -----------------------------------------------------------------------------------

def print_report(report: ValidationReport, console) -> None:
    from rich.table import Table

    table = Table(title=f"mnc validate {escape(report.model)} (target {report.target}) vs LiteRT reference kernels")
    for column, justify in (("#", "right"), ("layer", "left"), ("op", "left"), ("tflite", "right"),
                            ("elements", "right"), ("mismatch", "right"), ("max |diff|", "right"),
                            ("cosine", "right")):
        table.add_column(column, justify=justify)
    for layer in report.layers:
        table.add_row(*layer_row(layer))
    print_unclipped(console, table)
    console.print(divergence_line(report.first_divergence))
    console.print(f"output mnc: {report.output}")
    for check in report.outputs:
        verdict = "bit-exact" if check.mismatches == 0 else f"{check.mismatches} byte(s) differ"
        console.print(f"output {check.oracle}: {check.reference} -> {verdict}")
    console.print("PASS: bit-exact" if report.ok else "FAIL: mnc differs from TFLite")


def print_unclipped(console, renderable) -> None:
    """Print at the width the table needs: a pipe's 80 columns would cut layer names short."""
    from rich.measure import Measurement

    needed = Measurement.get(console, console.options.update_width(10_000), renderable).maximum
    saved = console.width
    console.width = max(saved, needed)
    try:
        console.print(renderable)
    finally:
        console.width = saved


def layer_row(layer: LayerReport) -> tuple[str, ...]:
    if not layer.compared:
        return (str(layer.index), escape(layer.name), escape(layer.kind), "-", f"{layer.elements:,}", "-", "-", "-")
    return (str(layer.index), escape(layer.name), escape(layer.kind), str(layer.tflite_index), f"{layer.elements:,}",
            f"{layer.mismatches:,}", str(layer.max_abs_diff), f"{layer.cosine:.6f}")


def divergence_line(layer: LayerReport | None) -> str:
    if layer is None:
        return "all layers bit-exact"
    m = layer.first_mismatch
    return (f"first diverging layer: {layer.index} {escape(layer.name)} ({escape(layer.kind)}, {escape(layer.source)}): "
            f"{layer.mismatches:,} of {layer.elements:,} elements differ; first at {list(m.position)}: "
            f"mnc {m.mnc}, reference {m.reference}")
