"""ONNX MobileNets of every family, compiled to C: the round trip built-in -> ONNX -> mnc gives the
built-in's own C package, and the C computed from ONNX is bit-exact with mnc's int8 interpreter and
tracks onnxruntime's float logits.

Every model is calibrated on `synthetic_inputs(shape, 16, seed=1)` and evaluated on the held-out
`synthetic_inputs(shape, 4, seed=2)`; 16 classes, so that the logits (the tensor before Softmax)
are a meaningful comparison.
"""

from __future__ import annotations

import json
import re
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto as TP
from onnx import helper as h
from onnx import numpy_helper as nh

from mnc.compiler import compile_model
from mnc.frontends.builtin import build_variant
from mnc.frontends.onnx.exporter import export_onnx
from mnc.interpreter import run
from mnc.options import CompileOptions
from mnc.data import CalibrationWarning, synthetic_inputs
from mnc.runners import host
from tests.conftest import need_tool

pytestmark = pytest.mark.slow
# MobileNetV4 at width 1.0: its seeded (untrained) weights at widths 0.5/0.75 are 22-27 layers of
# random projections that amplify int8 rounding more (logit cosine 0.96-0.98 on these inputs).
FAMILIES = ["v1-0.25", "v2-0.35", "v3s-0.75", "v3l-0.75", "v4s-1.0", "v4m-1.0"]
RESOLUTION = 64
CLASSES = 16
MIN_COSINE = 0.99
PACKAGE_FILES = ("model.h", "model.c", "weights.c", "manifest.json")


# ---- helpers ------------------------------------------------------------------------------

def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def _calibration_file(folder, input_shape, layout="NHWC") -> tuple:
    """(.npy of 16 calibration samples [N, H, W, C] -- [N, C, H, W] for an NCHW model, whose user
    hands mnc its own layout --, the 4 held-out samples [4, 1, H, W, C])."""
    path = folder / f"calibration_{layout}.npy"
    samples = synthetic_inputs(input_shape, 16, seed=1)[:, 0]
    np.save(path, samples.transpose(0, 3, 1, 2) if layout == "NCHW" else samples)
    return path, synthetic_inputs(input_shape, 4, seed=2)


def _compile(source, out_dir, calibration):
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalibrationWarning)   # the calibration file must be used
        return compile_model(source, CompileOptions(out_dir=out_dir, calibration=calibration))


def _only(items: list[str]) -> str:
    assert len(items) == 1, items
    return items[0]


def _ort_logits(model: onnx.ModelProto, held_out: np.ndarray) -> list[np.ndarray]:
    """onnxruntime's float logits (the Softmax input, added as a graph output) per NHWC sample."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    logits = _only([n.input[0] for n in model.graph.node if n.op_type == "Softmax"])
    model.graph.output.append(h.make_tensor_value_info(logits, TP.FLOAT, None))
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    feed = sess.get_inputs()[0].name
    return [sess.run([logits], {feed: np.ascontiguousarray(x.transpose(0, 3, 1, 2))})[0] for x in held_out]


def check_c_against_interpreter_and_onnxruntime(result, model: onnx.ModelProto, held_out: np.ndarray) -> None:
    """The host C output equals the int8 interpreter's byte for byte; the int8 logits track ORT's float ones."""
    need_tool("gcc")
    qgraph = result.graph
    logits = _only([op.inputs[0] for op in qgraph.ops() if op.kind == "softmax"])
    qin, qlogits = qgraph.tensor(qgraph.inputs[0]).quant, qgraph.tensor(logits).quant
    for i, (x, want_logits) in enumerate(zip(held_out, _ort_logits(model, held_out))):
        xq = qin.quantize(x)
        ref = run(qgraph, xq, mode="int8", keep_all=True)
        got = host.run(result.out_dir, xq)
        bad = np.flatnonzero(got.ravel() != ref[qgraph.outputs[0]].ravel())
        assert bad.size == 0, f"sample {i}: {bad.size} output bytes differ from the interpreter, first at {bad[:8]}"
        cosine = _cosine(qlogits.dequantize(ref[logits]), want_logits)
        assert cosine >= MIN_COSINE, f"sample {i}: int8 logits vs onnxruntime cosine {cosine:.4f}"


# ---- built-in families: export, round trip, C vs interpreter and onnxruntime ---------------

@pytest.fixture(scope="module", params=FAMILIES)
def family(request, tmp_path_factory):
    """One variant compiled twice with the same calibration: directly, and through its ONNX export."""
    folder = tmp_path_factory.mktemp(request.param)
    graph = build_variant(request.param, classes=CLASSES, resolution=RESOLUTION)
    calibration, held_out = _calibration_file(folder, graph.tensor(graph.inputs[0]).shape)
    nchw_calibration, _ = _calibration_file(folder, graph.tensor(graph.inputs[0]).shape, "NCHW")
    onnx_path = folder / f"{graph.name}.onnx"   # the imported graph is named after the file
    model = export_onnx(graph, onnx_path)
    direct = _compile(graph, folder / "direct", calibration)
    via_onnx = _compile(onnx_path, folder / "onnx", nchw_calibration)
    return direct, via_onnx, model, held_out


def _without_provenance(name: str, text: str) -> str:
    """The package file with each layer's source description removed (see the round-trip test)."""
    if name == "manifest.json":
        manifest = json.loads(text)
        for layer in manifest["layers"]:
            layer.pop("source")
        for io in ("input", "output"):   # the source model's layout: NHWC built-in, NCHW export
            manifest[io].pop("layout"), manifest[io].pop("model_shape")
        return json.dumps(manifest, indent=1, sort_keys=True)
    text = re.sub(r" \* The source model was exported NCHW:.*\n.*\n", "", text)
    return re.sub(r"(/\* (?:Layer )?\d+: \S+ \S+) <- .*? \*/", r"\1 */", text)


def test_round_trip_through_onnx_gives_the_same_c(family):
    """Built-in -> ONNX -> mnc emits the built-in's own package, byte for byte, except provenance.

    The exporter names each ONNX node after its mnc op and keeps every tensor name; the importer
    takes node names as op names and ONNX names as tensor names. So the int8 graphs are identical
    (same model hash) and so are the kernels, the arena plan and every array in weights.c.
    What legitimately differs is where each layer came from, and only that: the `<- source` part
    of the per-layer comments in model.c and weights.c ("mobilenet_v1 conv1" against
    "ONNX node 0 Conv 'conv1'") and the "source" field of each manifest layer -- plus the source
    model's layout of the input and output: NHWC for the variant, NCHW for its export (manifest
    "layout"/"model_shape" and the NCHW note in model.h).
    (The header comment names the model, which for an ONNX file is its stem: the fixture names the
    file after the variant, "v1-0.25-64.onnx", so that line is equal too.)
    """
    direct, via_onnx, _, _ = family
    assert via_onnx.manifest["model_hash"] == direct.manifest["model_hash"]
    assert [op.name for op in via_onnx.graph.ops()] == [op.name for op in direct.graph.ops()]
    for name in PACKAGE_FILES:
        a, b = ((r.out_dir / name).read_text() for r in (direct, via_onnx))
        assert _without_provenance(name, a) == _without_provenance(name, b), f"{name} differs"
        # model.h differs only by the NCHW note about the input, the other files only by provenance
        assert a != b, f"{name}: expected to name the layers' (or the input's) ONNX source"
    kernels = [{p.name: p.read_bytes() for p in (r.out_dir / "kernels").iterdir()} for r in (direct, via_onnx)]
    assert kernels[0] == kernels[1]
    sources = [layer["source"] for layer in via_onnx.manifest["layers"]]
    assert all(s.startswith("ONNX node ") for s in sources)


def test_c_from_onnx_is_exact_and_tracks_onnxruntime(family):
    _, via_onnx, model, held_out = family
    check_c_against_interpreter_and_onnxruntime(via_onnx, model, held_out)


# ---- a hand-built PyTorch-style ONNX graph ------------------------------------------------

def _pytorch_style_model() -> onnx.ModelProto:
    """What `torch.onnx.export` writes for a small MobileNetV3-like net (BN left unfolded, as in
    training-mode exports): PyTorch's node/tensor naming, a dynamic batch, Clip bounds from Constant
    nodes, HardSwish, a squeeze-excite with HardSigmoid, and a Flatten + Gemm head."""
    rng = np.random.default_rng(11)
    inits, nodes = [], []

    def param(name, shape, std):
        inits.append(nh.from_array((rng.standard_normal(shape) * std).astype(np.float32), name))
        return name

    def node(op_type, inputs, path, **attrs):
        out = f"{path}/{op_type}_output_0"
        nodes.append(h.make_node(op_type, inputs, [out], name=f"{path}/{op_type}", **attrs))
        return out

    def conv_bn(x, path, cin, cout, k, stride=1, group=1):
        w = param(f"{path}.0.weight", (cout, cin // group, k, k), np.sqrt(2.0 / (cin // group * k * k)))
        y = node("Conv", [x, w], f"/{path}/{path}.0", kernel_shape=[k, k], strides=[stride, stride],
                 pads=[k // 2] * 4, group=group)
        bn = [f"{path}.1.{p}" for p in ("weight", "bias", "running_mean", "running_var")]
        for name, value in zip(bn, (rng.uniform(0.8, 1.2, cout), rng.normal(0, 0.1, cout), np.zeros(cout),
                                    np.ones(cout))):
            inits.append(nh.from_array(value.astype(np.float32), name))
        return node("BatchNormalization", [y, *bn], f"/{path}/{path}.1", epsilon=1e-5)

    def relu6(x, path):
        lo = node("Constant", [], f"{path}_min", value=nh.from_array(np.float32(0.0)))
        hi = node("Constant", [], f"{path}_max", value=nh.from_array(np.float32(6.0)))
        return node("Clip", [x, lo, hi], path)

    x = node("HardSwish", [conv_bn("input", "stem", 3, 16, 3, stride=2)], "/stem/stem.2")
    d = relu6(conv_bn(x, "dw", 16, 16, 3, group=16), "/dw/dw.2")
    s = node("GlobalAveragePool", [d], "/se/avgpool")
    s = node("Relu", [node("Conv", [s, param("se.fc1.weight", (8, 16, 1, 1), 0.35), param("se.fc1.bias", (8,), 0.1)],
                           "/se/fc1")], "/se/relu")
    s = node("Conv", [s, param("se.fc2.weight", (16, 8, 1, 1), 0.5), param("se.fc2.bias", (16,), 0.1)], "/se/fc2")
    e = node("Mul", [d, node("HardSigmoid", [s], "/se/hsig", alpha=1.0 / 6.0, beta=0.5)], "/se")
    p = conv_bn(e, "pw", 16, 16, 1)
    r = node("Add", [p, x], "/residual")
    y = node("HardSwish", [conv_bn(r, "head", 16, 32, 1)], "/head/head.2")
    y = node("Flatten", [node("GlobalAveragePool", [y], "/avgpool")], "/flatten", axis=1)
    y = node("HardSwish", [node("Gemm", [y, param("classifier.0.weight", (24, 32), 0.25),
                                         param("classifier.0.bias", (24,), 0.1)], "/classifier/classifier.0",
                                transB=1)], "/classifier/classifier.1")
    y = node("Dropout", [y], "/classifier/classifier.2")
    y = node("Gemm", [y, param("classifier.3.weight", (CLASSES, 24), 0.3), param("classifier.3.bias", (CLASSES,), 0.1)],
             "/classifier/classifier.3", transB=1)
    nodes.append(h.make_node("Softmax", [y], ["output"], name="/Softmax", axis=1))
    graph = h.make_graph(nodes, "main_graph", [h.make_tensor_value_info("input", TP.FLOAT, ["batch_size", 3, 32, 32])],
                         [h.make_tensor_value_info("output", TP.FLOAT, ["batch_size", CLASSES])], inits)
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", 17)], producer_name="pytorch")
    onnx.checker.check_model(model, full_check=True)
    return model


def test_pytorch_style_onnx_compiles_exact_and_tracks_onnxruntime(tmp_path):
    model = _pytorch_style_model()
    path = tmp_path / "torch_net.onnx"
    onnx.save(model, str(path))
    calibration, held_out = _calibration_file(tmp_path, (1, 32, 32, 3), "NCHW")
    result = _compile(path, tmp_path / "pkg", calibration)
    kinds = [op.kind for op in result.graph.ops()]
    assert kinds.count("fully_connected") == 2 and "hard_sigmoid" in kinds and "transpose" not in kinds
    check_c_against_interpreter_and_onnxruntime(result, model, held_out)
