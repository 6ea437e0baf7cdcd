"""Built-in MobileNet variants: paper MAC/param counts, structure, sane seeded weights, names, weights files."""

from __future__ import annotations

import numpy as np
import pytest

from mnc import interpreter
from mnc.errors import MncError
from mnc.frontends.builtin import build_variant, list_variants, parse_variant, save_weights
from mnc.frontends.builtin.builder import make_divisible, same_pad
from mnc.frontends.builtin.weights import probe_images
from mnc.ops import verify_graph
from mnc.summary import summarize

# (variant, paper MACs, paper params, relative tolerance) at 224x224, 1000 classes.
PAPER = [
    ("v1-1.0", 569e6, 4.2e6, 0.03),
    ("v1-0.25", 41e6, 0.47e6, 0.03),
    ("v2-1.0", 300e6, 3.4e6, 0.03),
    ("v2-0.35", 59e6, 1.7e6, 0.03),
    ("v3l-1.0", 219e6, 5.4e6, 0.06),
    ("v3s-1.0", 56e6, 2.5e6, 0.06),
    ("v3l-0.75", 155e6, 4.0e6, 0.06),
    ("v3s-0.75", 44e6, 2.0e6, 0.06),
]


@pytest.mark.parametrize("name,macs,params,tol", PAPER, ids=[p[0] for p in PAPER])
def test_paper_macs_and_params(name, macs, params, tol):
    s = summarize(build_variant(name, classes=1000, resolution=224, calibrate_weights=False))
    assert s["macs"] == pytest.approx(macs, rel=tol)
    assert s["params"] == pytest.approx(params, rel=tol)


# MobileNetV4 (Qin et al. 2024, Table 11): each model at its paper resolution, 1000 classes. The
# paper rounds MACs to a tenth of a G, hence the wider MAC tolerance.
PAPER_V4 = [
    ("v4s-1.0", 224, 0.2e9, 3.8e6),
    ("v4m-1.0", 256, 1.0e9, 9.2e6),
]


@pytest.mark.parametrize("name,resolution,macs,params", PAPER_V4, ids=[p[0] for p in PAPER_V4])
def test_v4_paper_macs_and_params(name, resolution, macs, params):
    s = summarize(build_variant(name, classes=1000, resolution=resolution, calibrate_weights=False))
    assert s["macs"] == pytest.approx(macs, rel=0.15)
    assert s["params"] == pytest.approx(params, rel=0.06)


def _sane_activations(graph, values) -> None:
    """Batch-norm outputs near unit scale on an unseen image; nothing explodes anywhere."""
    for op in graph.ops():
        out = values[op.outputs[0]]
        assert np.all(np.isfinite(out)), op.name
        assert np.abs(out).max() < 64.0, f"{op.name}: max |x| = {np.abs(out).max():.1f}"
        if op.kind == "batch_norm":
            assert 0.2 < out.std() < 6.0, f"{op.name}: std {out.std():.3f}"


@pytest.mark.parametrize("name", list_variants())
def test_every_variant_builds_verifies_and_runs(name):
    graph = build_variant(name)
    verify_graph(graph)
    assert graph.tensor("input").shape == (1, 96, 96, 3)
    unseen = probe_images(96, seed=12345)[0]
    values = interpreter.run(graph, unseen, keep_all=True)
    probs = values[graph.outputs[0]]
    assert probs.shape == (1, 2)
    assert probs.sum() == pytest.approx(1.0, abs=1e-5)
    _sane_activations(graph, values)


def test_every_conv_has_its_own_batch_norm_then_activation():
    graph = build_variant("v3s-1.0", calibrate_weights=False)
    for op in graph.ops():
        if op.kind not in ("conv2d", "depthwise_conv2d"):
            continue
        (consumer,) = graph.consumers(op.outputs[0])
        has_bias = len(op.inputs) == 3
        assert (consumer.kind == "batch_norm") != has_bias, op.name   # head/SE/classifier: bias, no BN
        if consumer.kind == "batch_norm":
            stats = [graph.tensor(n).data for n in consumer.inputs[1:]]
            assert all(np.ptp(s) > 0 for s in stats), consumer.name   # non-trivial gamma/beta/mean/var
            assert stats[3].min() > 0


def _weighted_layers(graph):
    return [(op.kind, graph.tensor(op.inputs[1]).shape) for op in graph.ops()
            if op.kind in ("conv2d", "depthwise_conv2d", "fully_connected")]


def test_v1_025_matches_the_vww_reference_model(shared_models):
    """The MLPerf Tiny VWW model is a MobileNetV1-0.25 at 96x96 with 2 classes: same layers, same MACs."""
    tflite = pytest.importorskip("tflite")
    model = tflite.Model.GetRootAsModel((shared_models / "vww_96_float.tflite").read_bytes(), 0)
    sub = model.Subgraphs(0)
    names = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}
    kinds = {"CONV_2D": "conv2d", "DEPTHWISE_CONV_2D": "depthwise_conv2d", "FULLY_CONNECTED": "fully_connected"}
    expected = []
    for i in range(sub.OperatorsLength()):
        op = sub.Operators(i)
        code = model.OperatorCodes(op.OpcodeIndex())
        name = names[max(code.BuiltinCode(), code.DeprecatedBuiltinCode())]
        if name in kinds:
            expected.append((kinds[name], tuple(int(d) for d in sub.Tensors(op.Inputs(1)).ShapeAsNumpy())))
    graph = build_variant("v1-0.25", calibrate_weights=False)
    assert _weighted_layers(graph) == expected
    conv_macs = sum(layer["macs"] for layer in summarize(graph)["layers"]
                    if layer["kind"] in ("conv2d", "depthwise_conv2d", "fully_connected"))
    assert conv_macs == 7_489_664   # the MACs the architecture notes give for it


def test_v2_and_v3_structure():
    v2 = build_variant("v2-1.0", calibrate_weights=False)
    assert sum(op.kind == "add" for op in v2.ops()) == 10       # residual blocks of Table 2
    assert v2.tensor("conv_last:0").shape[-1] == 1280
    assert build_variant("v2-1.4", calibrate_weights=False).tensor("conv_last:0").shape[-1] == 1792
    assert build_variant("v2-0.35", calibrate_weights=False).tensor("conv_last:0").shape[-1] == 1280
    large = build_variant("v3l-1.0", calibrate_weights=False)
    small = build_variant("v3s-1.0", calibrate_weights=False)
    assert sum(op.kind == "mul" for op in large.ops()) == 8        # SE blocks
    assert sum(op.kind == "mul" for op in small.ops()) == 9
    assert large.tensor("conv_last:0").shape[-1] == 960 and large.tensor("head:0").shape[-1] == 1280
    assert small.tensor("conv_last:0").shape[-1] == 576 and small.tensor("head:0").shape[-1] == 1024
    assert large.tensor("block4_se_reduce:0").shape[-1] == 24     # make_divisible(72 / 4, 8)
    se_scale = large.op("block4_se_scale")
    assert [large.tensor(n).shape for n in se_scale.inputs] == [(1, 12, 12, 72), (1, 1, 1, 72)]


def test_v4_universal_inverted_bottlenecks():
    small = build_variant("v4s-1.0", resolution=224, calibrate_weights=False)
    medium = build_variant("v4m-1.0", resolution=256, calibrate_weights=False)
    kinds = lambda g, suffix: sum(op.name.endswith(suffix) for op in g.ops())
    assert (kinds(small, "_start_dw"), kinds(small, "_middle_dw"), kinds(small, "_add")) == (4, 11, 10)
    assert (kinds(medium, "_start_dw"), kinds(medium, "_middle_dw"), kinds(medium, "_add")) == (17, 13, 18)
    # ExtraDW: the start depthwise keeps the resolution, the middle one downsamples.
    assert small.tensor("block5_start_dw:0").shape == (1, 28, 28, 64)
    assert small.tensor("block5_middle_dw:0").shape == (1, 14, 14, 192)      # 64 x 3.0
    # ConvNext-like: start depthwise only, no activation before the expansion.
    assert [op.kind for op in small.consumers("block10_start_dw_bn:0")] == ["conv2d"]
    # FFN: two 1x1 convs and the residual.
    assert medium.tensor("block10_expand:0").shape == (1, 16, 16, 320)        # 160 x 2.0
    assert medium.tensor("conv_last:0").shape[-1] == 960 and medium.tensor("features:0").shape[-1] == 1280
    assert build_variant("v4s-0.5", calibrate_weights=False).tensor("features:0").shape[-1] == 1280


def test_channel_rounding_and_same_padding():
    assert [make_divisible(v) for v in (11.2, 18, 32 * 0.35, 1280 * 1.4, 16 * 0.75)] == [16, 24, 16, 1792, 16]
    assert same_pad(96, 3, 2) == (48, 0, 1)
    assert same_pad(48, 3, 1) == (48, 1, 1)
    assert same_pad(7, 5, 2) == (4, 2, 2)


def test_seeded_weights_are_deterministic():
    a, b, c = (build_variant("v3s-0.75", seed=s) for s in (0, 0, 1))
    consts = lambda g: {t.name: t.data for t in g.tensors() if t.is_const}
    ca, cb, cc = consts(a), consts(b), consts(c)
    assert ca.keys() == cb.keys()
    assert all(np.array_equal(ca[k], cb[k]) for k in ca)
    assert not np.array_equal(ca["conv1/weights"], cc["conv1/weights"])


def test_names_resolution_and_classes():
    spec = parse_variant("v1-0.25-128")
    assert (spec.family, spec.width, spec.resolution, spec.classes) == ("v1", 0.25, 128, 2)
    assert parse_variant("V3L-1-160", classes=10, resolution=224).name == "v3l-1.0-224"
    graph = build_variant("v2-0.35", classes=5, resolution=64, calibrate_weights=False)
    assert graph.tensor("input").shape == (1, 64, 64, 3)
    assert graph.tensor(graph.outputs[0]).shape == (1, 5)
    assert "v3l-0.75" in list_variants() and "v4m-1.0" in list_variants() and len(list_variants()) == 20


@pytest.mark.parametrize("name", ["v4-1.0", "v1-0.3", "v1", "mobilenet", "v1-0.25-abc", "v2-1.0-96-1", ""])
def test_bad_names_fail_cleanly(name):
    with pytest.raises(MncError) as err:
        build_variant(name)
    msg = str(err.value)
    assert "\n" not in msg and "v1-0.25" in msg and "v3l-1.0" in msg


@pytest.mark.parametrize("resolution", [16, 100, 544, 0])
def test_bad_resolution_fails_cleanly(resolution):
    with pytest.raises(MncError, match="multiple of 32"):
        build_variant("v1-0.25", resolution=resolution)
    with pytest.raises(MncError, match="multiple of 32"):
        build_variant(f"v1-0.25-{resolution}")


def test_bad_classes_fail_cleanly():
    with pytest.raises(MncError, match="classes"):
        build_variant("v1-0.25", classes=0)


def test_weights_round_trip(tmp_path):
    seeded = build_variant("v1-0.25", seed=3)
    path = tmp_path / "w.npz"
    save_weights(seeded, path)
    loaded = build_variant("v1-0.25", weights=path)      # seed 0 structure, seed 3 values
    x = probe_images(96, seed=7)[0]
    np.testing.assert_array_equal(interpreter.run_single(seeded, x), interpreter.run_single(loaded, x))
    assert loaded.meta["weights"] == str(path)


def test_bad_weights_files_fail_cleanly(tmp_path):
    good = {t.name: t.data for t in build_variant("v1-0.25", calibrate_weights=False).tensors() if t.is_const}
    cases = {
        "missing": {k: v for k, v in good.items() if k != "conv1/weights"},
        "unknown": {**good, "extra/weights": np.zeros(3, np.float32)},
        "shape": {**good, "conv1/weights": np.zeros((8, 3, 3, 4), np.float32)},
        "dtype": {**good, "conv1_bn/gamma": np.array(["a"] * 8)},
    }
    expected = {"missing": "missing.*conv1/weights", "unknown": "unknown.*extra/weights",
                "shape": "conv1/weights.*shape", "dtype": "finite floating"}
    for case, arrays in cases.items():
        np.savez(tmp_path / f"{case}.npz", **arrays)
        with pytest.raises(MncError, match=expected[case]):
            build_variant("v1-0.25", weights=tmp_path / f"{case}.npz")
    (tmp_path / "junk.npz").write_text("not a zip")
    with pytest.raises(MncError, match="not a readable .npz"):
        build_variant("v1-0.25", weights=tmp_path / "junk.npz")
    with pytest.raises(MncError, match="not found"):
        build_variant("v1-0.25", weights=tmp_path / "absent.npz")


def test_probe_images_are_deterministic_and_in_range():
    a, b = probe_images(96, 0), probe_images(96, 0)
    assert len(a) == 8 and len(probe_images(224, 0)) == 2
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert all(x.shape == (1, 96, 96, 3) and x.min() >= -1 and x.max() <= 1 for x in a)
