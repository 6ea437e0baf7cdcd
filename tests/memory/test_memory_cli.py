"""`mnc compile --ram-budget` failing below the floor, and `mnc info --memory [--json] [--plot]`."""

from __future__ import annotations

import json
import re

import pytest
from PIL import Image

from mnc.options import KERNEL_FAMILIES
from tests.hostile.corpus import all_cases
from tests.test_cli import assert_one_line_error, invoke


def test_budget_below_the_floor_fails_in_one_line_naming_the_layer_and_floor(capsys, tmp_path, shared_models):
    out = tmp_path / "out"
    status, _, err = invoke(capsys, "compile", str(shared_models / "vww_96_int8.tflite"), "--target", "cortex-m7",
                            "--ram-budget", "100", "-o", str(out))
    assert status == 1
    assert_one_line_error(err)
    floor = re.search(r"--ram-budget 100 is below the smallest arena mnc reaches: (\d+) bytes, set at layer '\w+'", err)
    assert floor and int(floor.group(1)) <= 40 * 1024   # the VWW target
    assert not out.exists()


def test_budget_must_be_positive(capsys, tmp_path):
    status, _, err = invoke(capsys, "compile", "--variant", "v1-0.25", "--ram-budget", "0", "-o", str(tmp_path / "o"))
    assert status == 2 and "Traceback" not in err


def test_info_memory_json_lists_steps_buffers_and_segments(capsys, tmp_path):
    plot = tmp_path / "memory.png"
    status, out, _ = invoke(capsys, "info", "--variant", "v2-0.35", "--resolution", "32", "--memory",
                            "--schedule", "auto", "--json", "--plot", str(plot))
    assert status == 0
    report = json.loads(out)
    assert report["segments"] and any(step["segment"] == 0 for step in report["steps"])
    top = max(b["offset"] + b["bytes"] for b in report["buffers"])
    assert report["arena_bytes"] == top
    assert all(step["live_bytes"] <= report["arena_bytes"] for step in report["steps"])
    assert {b["kind"] for b in report["buffers"]} >= {"tensor", "window"}
    with Image.open(plot) as image:
        assert image.size[0] >= 800


def test_info_memory_table_names_the_peak(capsys):
    status, out, _ = invoke(capsys, "info", "--variant", "v1-0.25", "--resolution", "32", "--memory")
    assert status == 0
    assert re.search(r"arena [\d,]+ B, most live at step \d+", out)


def test_plot_without_memory_is_refused(capsys, tmp_path):
    status, _, err = invoke(capsys, "info", "--variant", "v1-0.25", "--plot", str(tmp_path / "x.png"))
    assert status == 1
    assert_one_line_error(err)


def test_info_memory_refuses_what_compile_refuses_with_the_same_line(capsys, tmp_path):
    """A model whose int32 arithmetic can overflow (the numerics proof) gets no memory plan either."""
    case = next(c for c in all_cases() if c.name == "tfl-tiny-output-scale-0")
    model = str(case.make(tmp_path))
    compile_status, _, compile_err = invoke(capsys, "compile", model, "-o", str(tmp_path / "out"))
    info_status, info_out, info_err = invoke(capsys, "info", model, "--memory")
    assert compile_status == info_status == 1
    assert_one_line_error(info_err)
    assert "beyond int32" in info_err and "Traceback" not in info_err
    assert info_err == compile_err and info_out == ""


@pytest.mark.parametrize("target", ["cortex-m7", "cortex-m55"])
def test_info_memory_plans_the_arena_compile_writes_for_each_kernel_family(capsys, tmp_path, shared_models, target):
    """CMSIS-NN's scratch follows Arm's buffer-size formulas (mnc/cmsis_nn/buffers.py), so its arena differs
    from mnc's kernels': `mnc info --memory --kernels K` reports what `mnc compile --kernels K` writes, and
    `mnc info --target T --kernels K` the kernels the package calls. Needs ../shared/third_party/CMSIS-NN,
    as every CMSIS-NN test does."""
    model = str(shared_models / "vww_96_int8.tflite")
    arenas = {}
    for family in KERNEL_FAMILIES:
        argv = [model, "--target", target, "--kernels", family]
        status, _, err = invoke(capsys, "compile", *argv, "-o", str(tmp_path / family))
        assert status == 0, err
        manifest = json.loads((tmp_path / family / "manifest.json").read_text())
        status, out, err = invoke(capsys, "info", *argv, "--memory", "--json")
        assert status == 0, err
        assert json.loads(out)["arena_bytes"] == manifest["arena_bytes"], family
        status, out, err = invoke(capsys, "info", *argv, "--json")
        assert status == 0, err
        kernels = {layer["name"]: layer["kernel"] for layer in json.loads(out)["layers"]}
        assert all(kernels[layer["name"]] == layer["kernel"] for layer in manifest["layers"]), family
        arenas[family] = manifest["arena_bytes"]
    assert arenas["mnc"] != arenas["cmsis-nn"]      # the scratch really differs, so the check above can fail


@pytest.mark.parametrize("mode", [["--memory"], ["--target", "cortex-m7"]])
def test_info_refuses_a_missing_cmsis_nn_tree_with_compiles_line(capsys, tmp_path, mode):
    argv = ["--variant", "v1-0.25", "--resolution", "32", "--kernels", "cmsis-nn", "--cmsis-nn", str(tmp_path / "none")]
    compile_status, _, compile_err = invoke(capsys, "compile", *argv, "-o", str(tmp_path / "out"))
    info_status, info_out, info_err = invoke(capsys, "info", *argv, *mode)
    assert compile_status == info_status == 1
    assert_one_line_error(info_err)
    assert "CMSIS-NN not found" in info_err and info_err == compile_err and info_out == ""
