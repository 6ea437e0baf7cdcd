import json
import re
import subprocess

import numpy as np
import pytest

from mnc.errors import MncError
from mnc.interpreter import run_single
from mnc.runners import host
from mnc.runners.toolchain import compile_objects, package_sizes, sibling_tool
from mnc.targets import load_target
from tests.codegen import fakeops
from tests.codegen.helpers import emit_package, package_files
from tests.conftest import need_tool

HOSTILE = ("a/b*/c", "1x", "int", "run")   # comment closer, leading digit, keyword, API name


def _input(seed=1):
    return np.random.default_rng(seed).integers(-128, 128, (1, 4, 4, 3)).astype(np.int8)


def test_two_compiles_are_byte_identical(tmp_path):
    emit_package(fakeops.small_graph(), tmp_path / "a")
    emit_package(fakeops.small_graph(), tmp_path / "b")
    a, b = package_files(tmp_path / "a"), package_files(tmp_path / "b")
    assert a == b
    assert set(a) == {"model.h", "model.c", "weights.c", "manifest.json", "kernels/mnc_common.h",
                      "kernels/mnc_codegen_test_s8.c", "kernels/mnc_codegen_test_s8.h"}


def test_different_weights_change_hash(tmp_path):
    m0 = emit_package(fakeops.small_graph(seed=0), tmp_path / "a")
    m1 = emit_package(fakeops.small_graph(seed=1), tmp_path / "b")
    assert m0["model_hash"] != m1["model_hash"]


@pytest.mark.parametrize("names", [("lut1", "add1", "view1", "lut2"), HOSTILE])
def test_host_run_matches_int8_interpreter(tmp_path, names):
    need_tool("gcc")
    graph = fakeops.small_graph(names)
    emit_package(graph, tmp_path / "pkg")
    for seed in (1, 2):
        x = _input(seed)
        got = host.run(tmp_path / "pkg", x)
        want = run_single(graph, x, mode="int8")
        assert got.dtype == np.int8 and got.shape == want.shape
        mismatch = np.flatnonzero(got != want)
        assert mismatch.size == 0, f"first mismatches at {mismatch[:8]}: {got.ravel()[mismatch[:8]]} vs {want.ravel()[mismatch[:8]]}"


def test_profiled_host_run_reports_every_layer(tmp_path):
    need_tool("gcc")
    graph = fakeops.small_graph()
    emit_package(graph, tmp_path / "pkg")
    run = host.run_profiled(tmp_path / "pkg", _input())
    assert len(run.layer_seconds) == 3   # the view op is an alias: no layer
    assert np.array_equal(run.output, run_single(graph, _input(), mode="int8"))


def test_model_header_defines_fixed_api(tmp_path):
    manifest = emit_package(fakeops.small_graph(), tmp_path / "pkg")
    header = (tmp_path / "pkg" / "model.h").read_text()
    defines = dict(re.findall(r"^#define (MNC_\w+) (.+)$", header, re.M))
    assert defines["MNC_INPUT_SIZE"] == "48" and defines["MNC_OUTPUT_SIZE"] == "48"
    assert defines["MNC_NUM_LAYERS"] == "3"
    assert int(defines["MNC_ARENA_SIZE"]) == manifest["arena_bytes"]
    assert np.float32(float(defines["MNC_INPUT_SCALE"].rstrip("f"))) == np.float32(0.02)
    assert defines["MNC_INPUT_ZERO_POINT"] == "5" and defines["MNC_OUTPUT_ZERO_POINT"] == "-128"
    for decl in ("int8_t *mnc_input(void);", "int8_t *mnc_output(void);", "void mnc_run(void);",
                 "void mnc_invoke(const int8_t *input, int8_t *output);",
                 "extern const char *const mnc_layer_names[MNC_NUM_LAYERS];",
                 "extern const uint32_t mnc_layer_macs[MNC_NUM_LAYERS];"):
        assert decl in header


def test_model_c_names_source_ops_and_hooks(tmp_path):
    emit_package(fakeops.small_graph(HOSTILE), tmp_path / "pkg")
    model_c = (tmp_path / "pkg" / "model.c").read_text()
    assert "/* 0: codegen_test_lut a/b* /c <- hand-built a/b* /c */" in model_c
    assert re.findall(r"MNC_LAYER_START\((\d+)\);", model_c) == ["0", "1", "2"]
    assert "static const mnc_codegen_test_lut_params_t mnc_a_b__c_params = {" in model_c
    assert "static const mnc_codegen_test_add_params_t mnc_1x_params = {" in model_c
    assert "static const mnc_codegen_test_lut_params_t mnc_run_2_params = {" in model_c   # mnc_run is the API
    assert model_c.isascii()


def test_manifest_fields(tmp_path):
    manifest = emit_package(fakeops.small_graph(), tmp_path / "pkg")
    on_disk = (tmp_path / "pkg" / "manifest.json").read_text()
    assert json.loads(on_disk) == manifest
    assert on_disk == json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    assert manifest["input"] == {"shape": [1, 4, 4, 3], "layout": "NHWC", "model_shape": [1, 4, 4, 3],
                                 "scale": float(np.float32(0.02)), "zero_point": 5}
    assert [layer["kind"] for layer in manifest["layers"]] == ["codegen_test_lut", "codegen_test_add",
                                                               "codegen_test_lut"]
    assert manifest["layers"][0]["source"] == "hand-built lut1"
    assert manifest["sources"] == ["model.c", "weights.c", "kernels/mnc_codegen_test_s8.c"]


def test_generated_c_compiles_for_cortex_m7_with_werror(tmp_path):
    need_tool("arm-none-eabi-gcc")
    emit_package(fakeops.small_graph(HOSTILE), tmp_path / "pkg", target="cortex-m7")
    target = load_target("cortex-m7")
    sizes = package_sizes(tmp_path / "pkg", target)
    assert sizes.bss >= 144 - 16            # the arena (plus alignment slack) is static RAM
    assert sizes.rodata >= 256 * 2 + 48     # two LUTs and the constant operand
    assert sizes.flash == sizes.text + sizes.rodata + sizes.data and sizes.text > 0
    objects = compile_objects(tmp_path / "pkg", target, tmp_path / "obj", ("-DMNC_PROFILE",))
    undefined = subprocess.run([sibling_tool(target.cc, "nm"), "-u", str(objects[0])], capture_output=True,
                               text=True, check=True).stdout
    assert "mnc_profile_layer_start" in undefined and "mnc_profile_layer_end" in undefined


def test_refuses_to_overwrite_foreign_directory(tmp_path):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(MncError, match="refusing to overwrite"):
        emit_package(fakeops.small_graph(), out)
    assert (out / "notes.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["precious"]


def test_replaces_previous_package_and_cleans_up(tmp_path):
    out = tmp_path / "pkg"
    emit_package(fakeops.small_graph(seed=0), out)
    (out / "build").mkdir()
    manifest = emit_package(fakeops.small_graph(seed=1), out)
    assert json.loads((out / "manifest.json").read_text())["model_hash"] == manifest["model_hash"]
    assert not (out / "build").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg"]


def test_failed_emit_leaves_no_output(tmp_path):
    graph = fakeops.small_graph()
    graph.op("add1").attrs["offset"] = 2**40   # cannot be a 32-bit C constant
    with pytest.raises(MncError, match="does not fit 32 bits"):
        emit_package(graph, tmp_path / "pkg")
    assert list(tmp_path.iterdir()) == []
