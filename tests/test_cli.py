"""The command line: error paths (one line, exit code, no output directory) and running a package."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mnc.cli import main
from mnc.errors import MncError
from mnc.ir import QuantParams
from mnc.runners import host
from tests.codegen import fakeops
from tests.codegen.helpers import emit_package
from tests.conftest import need_tool


def invoke(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    captured = capsys.readouterr()
    return exc.value.code, captured.out, captured.err


def assert_one_line_error(err: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err


@pytest.mark.parametrize("argv, code", [
    (["compile", "--variant", "v9-0.25"], 1),                         # unknown variant
    (["compile", "--variant", "v1-0.25", "--target", "cortex-z9"], 1),  # unknown target
    (["compile", "--variant", "v1-0.25", "--calibration-method", "guess"], 2),
    (["compile", "--variant", "v1-0.25", "--bogus"], 2),
    (["compile", "--variant", "v1-0.25", "--classes", "0"], 2),
    (["compile"], 2),                                                 # neither SOURCE nor --variant
    (["compile", "model.tflite", "--variant", "v1-0.25"], 2),         # both
    (["compile", "missing.tflite"], 1),
    (["compile", "--variant", "v1-0.25", "--calibration", "no/such/dir"], 1),
])
def test_compile_errors_are_one_line_and_leave_no_output(capsys, tmp_path, argv, code):
    out = tmp_path / "out"
    status, _, err = invoke(capsys, *argv, "-o", str(out))
    assert status == code
    assert_one_line_error(err)
    assert not out.exists()
    assert "Traceback" not in err


def test_debug_shows_traceback(tmp_path):
    from mnc.errors import MncError

    with pytest.raises(MncError):
        main(["compile", "--variant", "v1-0.25", "--target", "cortex-z9", "--debug", "-o", str(tmp_path / "o")])


def test_run_rejects_non_package(capsys, tmp_path):
    status, _, err = invoke(capsys, "run", str(tmp_path))
    assert status == 1
    assert_one_line_error(err)


@pytest.fixture
def package(tmp_path):
    graph = fakeops.small_graph()
    emit_package(graph, tmp_path / "pkg")
    return graph, tmp_path / "pkg"


def test_run_quantizes_float_input_and_saves_output(capsys, tmp_path, package):
    need_tool("gcc")
    graph, pkg = package
    real = np.random.default_rng(3).uniform(-3.0, 3.0, (1, 4, 4, 3)).astype(np.float32)
    np.save(tmp_path / "x.npy", real)
    status, out, err = invoke(capsys, "run", str(pkg), "--input", str(tmp_path / "x.npy"),
                              "--output", str(tmp_path / "y.npy"))
    assert status == 0, err
    x_q = QuantParams.per_tensor(0.02, 5).quantize(real)
    assert x_q.min() == -128 and x_q.max() == 127     # the range exercises saturation too
    saved = np.load(tmp_path / "y.npy")
    assert saved.dtype == np.int8
    assert np.array_equal(saved, host.run(pkg, x_q))
    assert "top class:" in out


def test_run_without_input_is_deterministic(capsys, tmp_path, package):
    need_tool("gcc")
    _, pkg = package
    outs = []
    for name in ("a.npy", "b.npy"):
        status, _, err = invoke(capsys, "run", str(pkg), "--output", str(tmp_path / name))
        assert status == 0, err
        outs.append(np.load(tmp_path / name))
    assert np.array_equal(outs[0], outs[1])


@pytest.mark.parametrize("bad", [np.zeros((1, 4, 4), np.int8), np.zeros((1, 4, 4, 3), np.int32),
                                 np.zeros((48,), np.int8), np.zeros((1, 3, 4, 4), np.int8),
                                 np.zeros((1, 4, 3, 4), np.float32)])
def test_run_rejects_bad_input(capsys, tmp_path, package, bad):
    """Wrong dtype, rank or shape -- a same-sized array in another layout too -- is refused, never reshaped."""
    _, pkg = package
    np.save(tmp_path / "x.npy", bad)
    status, _, err = invoke(capsys, "run", str(pkg), "--input", str(tmp_path / "x.npy"))
    assert status == 1
    assert_one_line_error(err)


def test_run_names_both_shapes_and_the_likely_layout_mistake(capsys, tmp_path, package):
    _, pkg = package
    np.save(tmp_path / "x.npy", np.zeros((1, 3, 4, 4), np.int8))
    _, _, err = invoke(capsys, "run", str(pkg), "--input", str(tmp_path / "x.npy"))
    assert "(1, 3, 4, 4)" in err and "[1, 4, 4, 3] (NHWC, as exported)" in err and "looks like NCHW" in err


def as_nchw_package(pkg) -> None:
    """The package as an importer of an NCHW model (a PyTorch export) writes its manifest."""
    manifest = json.loads((pkg / "manifest.json").read_text())
    manifest["input"].update(layout="NCHW", model_shape=[1, 3, 4, 4])
    (pkg / "manifest.json").write_text(json.dumps(manifest))


def test_run_takes_and_gives_arrays_in_the_models_nchw_layout(capsys, tmp_path, package):
    need_tool("gcc")
    _, pkg = package
    as_nchw_package(pkg)
    x_nchw = np.random.default_rng(5).integers(-128, 128, (1, 3, 4, 4), dtype=np.int8)
    for name, x in (("full.npy", x_nchw), ("no_batch.npy", x_nchw[0])):
        np.save(tmp_path / name, x)
        status, _, err = invoke(capsys, "run", str(pkg), "--input", str(tmp_path / name),
                                "--output", str(tmp_path / ("y_" + name)))
        assert status == 0, err
        y = host.run(pkg, np.ascontiguousarray(x_nchw.transpose(0, 2, 3, 1)))
        assert np.array_equal(np.load(tmp_path / ("y_" + name)), y)   # [1, 48]: no layout
    np.save(tmp_path / "nhwc.npy", x_nchw.transpose(0, 2, 3, 1))   # same size, the C API's layout
    status, _, err = invoke(capsys, "run", str(pkg), "--input", str(tmp_path / "nhwc.npy"))
    assert status == 1 and "looks like NHWC" in err
    assert_one_line_error(err)


def test_runner_refuses_a_same_sized_array_of_another_shape(package):
    _, pkg = package
    with pytest.raises(MncError, match=r"C API takes \[1, 4, 4, 3\] \(NHWC\)"):
        host.run(pkg, np.zeros((1, 3, 4, 4), np.int8))


def test_info_json_lists_macs_params_layers(capsys):
    import json

    status, out, err = invoke(capsys, "info", "--variant", "v1-0.25", "--json")
    assert status == 0, err
    info = json.loads(out)
    assert info["macs"] == sum(layer["macs"] for layer in info["layers"]) > 0
    assert info["params"] > 0
    assert {"name", "kind", "macs"} <= set(info["layers"][0])


PAPER_TABLE = [  # (variant at 224, MACs, params, tolerance) from the MobileNet V1/V2/V3 papers
    ("v1-1.0-224", 569e6, 4.2e6, 0.03), ("v1-0.25-224", 41e6, 0.47e6, 0.03),
    ("v2-1.0-224", 300e6, 3.4e6, 0.03), ("v2-0.35-224", 59e6, 1.7e6, 0.03),
    ("v3l-1.0-224", 219e6, 5.4e6, 0.06), ("v3s-1.0-224", 56e6, 2.5e6, 0.06),
]


@pytest.mark.parametrize("variant, macs, params, tol", PAPER_TABLE)
def test_info_json_meets_the_papers(capsys, variant, macs, params, tol):
    status, out, err = invoke(capsys, "info", "--variant", variant, "--classes", "1000", "--json")
    assert status == 0, err
    summary = json.loads(out)
    assert abs(summary["macs"] / macs - 1) <= tol
    assert abs(summary["params"] / params - 1) <= tol
    assert summary["layers"]


# ---- options `mnc compile` and `mnc info` share -------------------------------------------------

KERAS_V1 = Path(__file__).parent / "fixtures" / "exports" / "keras_mobilenet_v1.tflite"   # float, NHWC 64x64x3


def shared_options(command: str) -> dict:
    from mnc.cli import COMPILE_CHOICE_NAMES, cli

    names = {*COMPILE_CHOICE_NAMES, "variant"}
    return {p.name: p.to_info_dict() for p in cli.commands[command].params if p.name in names}


def test_compile_and_info_declare_the_shared_options_alike(capsys):
    from mnc.cli import COMPILE_CHOICE_NAMES

    assert set(shared_options("info")) == {*COMPILE_CHOICE_NAMES, "variant"}
    assert shared_options("info") == shared_options("compile")   # names, types, choices, defaults, help
    for command in ("compile", "info"):
        status, out, err = invoke(capsys, command, "--help")
        assert status == 0, err
        for flag in ("--variant", "--classes", "--resolution", "--weights", "--calibration ", "--calibration-method",
                     "--bias-correction / --no-bias-correction", "--schedule", "--ram-budget", "--kernels",
                     "--cmsis-nn"):
            assert flag in out, (command, flag)
        assert "--portable-kernels" not in out   # hidden, for benchmarks


def keras_calibration(tmp_path: Path, layout: str) -> Path:
    """Five of the fixtures' calibration images as the Keras model takes them (pixel / 127.5 - 1)."""
    pixels = np.load(KERAS_V1.parent / "samples.npz")["calibration"][:5]
    x = (pixels / 127.5 - 1).astype(np.float32)
    path = tmp_path / f"calibration_{layout}.npy"
    np.save(path, x if layout == "NHWC" else x.transpose(0, 3, 1, 2))
    return path


@pytest.mark.parametrize("calibrate", [False, True])
def test_info_for_a_target_quantizes_as_compile_does_with_the_same_calibration(capsys, tmp_path, calibrate):
    """A float model: `mnc info --target` reports the calibration (and the kernels) of the package
    `mnc compile` writes with the same options; by default both calibrate on synthetic inputs and warn."""
    argv = ["--calibration", str(keras_calibration(tmp_path, "NHWC")), "--calibration-method", "percentile",
            "--bias-correction"] if calibrate else []
    status, out, err = invoke(capsys, "info", str(KERAS_V1), "--target", "host", "--json", *argv)
    assert status == 0, err
    info = json.loads(out)
    expected = {"method": "percentile", "samples": 5, "bias_correction": True} if calibrate else \
        {"method": "minmax", "samples": 16, "bias_correction": False}
    assert info["calibration"] == expected
    assert ("synthetic inputs" in err) != calibrate

    status, _, err = invoke(capsys, "compile", str(KERAS_V1), "-o", str(tmp_path / "pkg"), *argv)
    assert status == 0, err
    manifest = json.loads((tmp_path / "pkg" / "manifest.json").read_text())
    assert manifest["calibration"] == info["calibration"]
    kernels = {layer["name"]: layer["kernel"] for layer in info["layers"]}
    assert all(kernels[layer["name"]] == layer["kernel"] for layer in manifest["layers"])


@pytest.mark.parametrize("mode", [["--target", "host"], ["--memory"]])
def test_info_refuses_calibration_in_another_layout_with_compiles_line(capsys, tmp_path, mode):
    calibration = str(keras_calibration(tmp_path, "NCHW"))
    compile_status, _, compile_err = invoke(capsys, "compile", str(KERAS_V1), "--calibration", calibration,
                                            "-o", str(tmp_path / "pkg"))
    info_status, info_out, info_err = invoke(capsys, "info", str(KERAS_V1), "--calibration", calibration, *mode)
    assert compile_status == info_status == 1
    assert_one_line_error(info_err)
    assert "looks like NCHW" in info_err and info_err == compile_err and info_out == ""
    assert not (tmp_path / "pkg").exists()


@pytest.mark.parametrize("argv, message", [
    (["--variant", "v1-0.25", "--calibration-method", "mse"], "--calibration, --calibration-method and "
                                                               "--bias-correction quantize for a --target; give one"),
    (["--variant", "v1-0.25", "--bias-correction"], "--calibration, --calibration-method and "
                                                    "--bias-correction quantize for a --target; give one"),
    (["--variant", "v1-0.25", "--portable-kernels"], "--portable-kernels chooses kernels for a --target; give one"),
    ([str(KERAS_V1), "--target", "host", "--weights", "w.npz"], "--weights applies to built-in variants only"),
    ([str(KERAS_V1), "--classes", "3"], "--classes and --resolution apply to built-in variants only"),
])
def test_info_refuses_choices_its_output_would_ignore(capsys, argv, message):
    status, out, err = invoke(capsys, "info", *argv)
    assert status == 1 and out == ""
    assert err.strip() == f"error: {message}"


@pytest.mark.parametrize("choice", [["--classes", "3"], ["--resolution", "64"], ["--weights", "w.npz"]])
def test_compile_refuses_variant_choices_for_a_model_file(capsys, tmp_path, choice):
    """A model file has its own classes, resolution and weights; compiling it as if the option had
    been applied would be a silent wrong answer."""
    status, out, err = invoke(capsys, "compile", str(KERAS_V1), *choice, "-o", str(tmp_path / "pkg"))
    assert status == 1 and out == ""
    assert err.strip() == "error: --classes, --resolution and --weights apply to built-in variants only"
    assert not (tmp_path / "pkg").exists()


def test_report_refuses_variant_choices_for_a_model_file_with_compiles_line(capsys):
    status, out, err = invoke(capsys, "report", str(KERAS_V1), "--classes", "3")
    assert status == 1 and out == ""
    assert err.strip() == "error: --classes, --resolution and --weights apply to built-in variants only"
