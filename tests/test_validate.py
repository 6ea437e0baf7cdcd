"""`mnc validate`: the VWW model is bit-exact layer by layer, and a corrupted compile is caught at the
layer that was corrupted."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

import mnc.compiler
from mnc.cli import main
from mnc.kernels.call import ConstArray
from mnc.errors import MncError, ToolchainError
from mnc.runners.host import parse_dump
from mnc.data import default_input
from mnc.validate import validate
from tests.conftest import SHARED_MODELS, VWW_INT8, need_tool

CORRUPTED_LAYER = "conv2d_6"


def invoke(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    captured = capsys.readouterr()
    return exc.value.code, captured.out, captured.err


@pytest.fixture
def corrupt_one_multiplier(monkeypatch):
    """Lower normally, then scale one output channel's requantization multiplier of CORRUPTED_LAYER."""
    original = mnc.compiler.lower

    def lower(graph, target, family=None):
        layers = original(graph, target, family)
        layer = next(layer for layer in layers if layer.op.name == CORRUPTED_LAYER)
        multiplier = layer.call.params["multiplier"]
        assert isinstance(multiplier, ConstArray)
        data = multiplier.data.copy()
        data[0] = int(data[0] * 0.9)
        multiplier.data = data
        return layers

    monkeypatch.setattr(mnc.compiler, "lower", lower)


def test_vww_validates_bit_exact_from_the_cli(shared_models, capsys):
    need_tool("gcc")
    code, out, err = invoke(capsys, "validate", str(VWW_INT8), "--json")
    report = json.loads(out)
    assert code == 0, err
    assert report["ok"] and report["first_divergence"] is None
    compared = [layer for layer in report["layers"] if layer["tflite_index"] is not None]
    assert len(compared) == len(report["layers"]) == 31
    assert all(layer["mismatches"] == 0 and layer["max_abs_diff"] == 0 for layer in compared)
    assert [check["mismatches"] for check in report["outputs"]] == [0, 0]
    assert all(check["reference"] == report["output"] for check in report["outputs"])


def test_corrupted_multiplier_is_reported_at_its_layer(shared_models, corrupt_one_multiplier, capsys):
    need_tool("gcc")
    code, out, _err = invoke(capsys, "validate", str(VWW_INT8))
    assert code == 1
    assert f"first diverging layer: 6 {CORRUPTED_LAYER} (conv2d" in out
    assert "FAIL" in out


def test_corruption_shows_in_the_report_numbers(shared_models, corrupt_one_multiplier):
    report = validate(VWW_INT8, default_input({"shape": [1, 96, 96, 3]}, seed=3))
    first = report.first_divergence
    assert not report.ok and first is not None
    assert first.name == CORRUPTED_LAYER
    assert all(layer.mismatches == 0 for layer in report.layers[:first.index])
    # Only output channel 0 was touched, so the first differing element is in channel 0.
    assert first.first_mismatch.position[-1] == 0
    assert first.first_mismatch.mnc != first.first_mismatch.reference
    assert 0 < first.mismatches < first.elements and first.cosine < 1.0


def test_image_input_validates(shared_models, capsys):
    code, out, err = invoke(capsys, "validate", str(VWW_INT8), "--input", str(SHARED_MODELS / "person.bmp"))
    assert code == 0, err
    assert "all layers bit-exact" in out


@pytest.mark.parametrize("argv, message", [
    (["validate", "missing.tflite"], "not found"),
    (["validate", str(VWW_INT8), "--target", "cortex-m7"], "host only"),
])
def test_validate_errors_are_one_line(capsys, argv, message):
    code, _out, err = invoke(capsys, *argv)
    assert code == 1
    assert err.strip().startswith("error: ") and message in err and len(err.strip().splitlines()) == 1


def test_onnx_models_are_refused(tmp_path):
    model = tmp_path / "m.onnx"
    model.write_bytes(b"")
    with pytest.raises(MncError, match="needs a .tflite model"):
        validate(model)


def test_default_input_is_seeded_and_image_like():
    spec = {"shape": [1, 96, 96, 3]}
    x = default_input(spec)
    assert x.dtype == np.int8 and x.shape == (1, 96, 96, 3)
    assert np.array_equal(x, default_input(spec))
    assert not np.array_equal(x, default_input(spec, seed=1))
    # Neighbouring pixels inside a block differ only by the noise, unlike white noise.
    assert np.abs(np.diff(x[0, :8, :8].astype(int), axis=1)).max() <= 24


def _record(layer: int, payload: bytes) -> bytes:
    return struct.pack("=II", layer, len(payload)) + payload


def test_parse_dump_splits_records_in_order():
    data = _record(0, b"\x01\x02") + _record(1, b"") + _record(2, b"\xff")
    assert parse_dump(data, 3) == [b"\x01\x02", b"", b"\xff"]


@pytest.mark.parametrize("data, layers", [
    (_record(0, b"\x01") + _record(2, b"\x02"), 2),     # a layer skipped
    (_record(0, b"\x01\x02")[:-1], 1),                  # truncated payload
    (_record(0, b"\x01")[:5], 1),                       # truncated header
    (_record(0, b"\x01"), 2),                           # too few layers
])
def test_parse_dump_rejects_malformed_dumps(data, layers):
    with pytest.raises(ToolchainError):
        parse_dump(data, layers)


# ---- the portable-kernels option the benchmarks use (compile option + hidden CLI flag) ----------

def test_portable_kernels_lower_for_a_target_without_features():
    from mnc.compiler import kernel_target
    from mnc.options import CompileOptions
    from mnc.targets import load_target

    m55 = load_target("cortex-m55")
    assert m55.features, "the test needs a target with DSP/MVE features"
    assert kernel_target(m55, CompileOptions(target="cortex-m55", portable_kernels=True)).features == frozenset()
    assert kernel_target(m55, CompileOptions(target="cortex-m55")) == m55


@pytest.mark.parametrize("flag, portable", [([], False), (["--portable-kernels"], True)])
def test_compile_cli_portable_kernels_flag(monkeypatch, capsys, tmp_path, flag, portable):
    seen = []
    original = mnc.compiler.lower

    def spy(graph, target, family=None):
        seen.append(set(target.features))
        return original(graph, target, family)

    monkeypatch.setattr(mnc.compiler, "lower", spy)
    monkeypatch.setattr(mnc.compiler, "measure", lambda out_dir, target: None)   # no ARM build needed
    code, _out, err = invoke(capsys, "compile", str(VWW_INT8), "--target", "cortex-m55", "-o",
                             str(tmp_path / "pkg"), *flag)
    assert code == 0, err
    assert len(seen) == 1
    assert seen[0] == set() if portable else {"dsp", "mve"} <= seen[0]


def test_portable_kernels_flag_is_hidden(capsys):
    code, out, _err = invoke(capsys, "compile", "--help")
    assert code == 0 and "--portable-kernels" not in out
