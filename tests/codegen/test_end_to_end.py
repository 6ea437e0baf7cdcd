"""Whole pipeline: compile real models, build the C with gcc -Werror, compare bytes with the int8 interpreter."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mnc.cli import main
from mnc.compiler import compile_model
from mnc.interpreter import run_single
from mnc.options import CompileOptions
from mnc.runners import host
from tests.codegen.helpers import package_files
from tests.conftest import VWW_INT8, need_tool

pytestmark = pytest.mark.slow
GENERATED = ("model.h", "model.c", "weights.c", "manifest.json")


def _inputs(shape, n=2):
    rng = np.random.default_rng(7)
    return [rng.integers(-128, 128, shape, dtype=np.int8) for _ in range(n)]


def _assert_host_matches_interpreter(result, n=2):
    for x in _inputs(result.graph.tensor(result.graph.inputs[0]).shape, n):
        got = host.run(result.out_dir, x)
        want = run_single(result.graph, x, mode="int8")
        bad = np.flatnonzero(got != want)
        assert bad.size == 0, f"{bad.size} mismatches, first at {bad[:8]}: {got.ravel()[bad[:8]]} vs {want.ravel()[bad[:8]]}"


def test_v1_025_host_matches_interpreter_and_is_reproducible(tmp_path):
    need_tool("gcc")
    result = compile_model("v1-0.25", CompileOptions(out_dir=tmp_path / "a"))
    again = compile_model("v1-0.25", CompileOptions(out_dir=tmp_path / "b"))
    a, b = package_files(tmp_path / "a"), package_files(tmp_path / "b")
    assert sorted(a) == sorted(b)
    for name in GENERATED:   # kernels are plain copies (and may be edited while this suite runs)
        assert a[name] == b[name], name
    assert result.manifest["arena_bytes"] == result.plan.arena_bytes
    assert result.manifest["input"]["shape"] == [1, 96, 96, 3]
    _assert_host_matches_interpreter(result)
    assert again.sizes is None   # host target: no cross build


def test_vww_tflite_host_matches_interpreter(tmp_path, shared_models):
    need_tool("gcc")
    result = compile_model(VWW_INT8, CompileOptions(out_dir=tmp_path / "vww"))
    conv_macs = sum(layer["macs"] for layer in result.manifest["layers"]
                    if layer["kind"] in ("conv2d", "depthwise_conv2d", "fully_connected"))
    assert conv_macs == 7_489_664   # the MLPerf Tiny figure counts conv/depthwise/fc only
    _assert_host_matches_interpreter(result, n=1)


def test_cli_compile_cortex_m7_reports_flash_and_ram(tmp_path, capsys):
    need_tool("arm-none-eabi-gcc")
    out = tmp_path / "m7"
    with pytest.raises(SystemExit) as exc:
        main(["compile", "--variant", "v1-0.25", "--target", "cortex-m7", "-o", str(out)])
    captured = capsys.readouterr()
    assert exc.value.code == 0, captured.err
    assert "flash (text+rodata+data)" in captured.out and "RAM (data+bss)" in captured.out
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["target"] == "cortex-m7"
    assert len(manifest["layers"]) == int(_define(out, "MNC_NUM_LAYERS"))


def _define(out, name):
    for line in (out / "model.h").read_text().splitlines():
        if line.startswith(f"#define {name} "):
            return line.split()[2]
    raise AssertionError(name)
