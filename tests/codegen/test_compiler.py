import dataclasses

import pytest

from mnc import compiler
from mnc.errors import FitError, MncError
from mnc.options import CompileOptions
from mnc.targets import load_target
from tests.codegen import fakeops


def test_fit_check_rejects_arena_and_weights_over_budget():
    graph = fakeops.small_graph()
    target = load_target("host")
    layers = compiler.lower(graph, target)
    plan = compiler.plan_arena(graph, layers)
    compiler.check_fits(layers, plan.arena_bytes, target)   # unlimited
    with pytest.raises(FitError, match="arena of 144 bytes"):
        compiler.check_fits(layers, plan.arena_bytes, dataclasses.replace(target, ram_bytes=100))
    with pytest.raises(FitError, match="512 bytes of weights"):
        compiler.check_fits(layers, plan.arena_bytes, dataclasses.replace(target, flash_bytes=500))


def test_lowering_skips_nothing_and_marks_aliases():
    graph = fakeops.small_graph()
    layers = compiler.lower(graph, load_target("host"))
    assert [layer.op.name for layer in layers] == ["lut1", "add1", "view1", "lut2"]
    assert [layer.call.is_alias for layer in layers] == [False, False, True, False]
    assert [layer.macs for layer in layers] == [48, 0, 0, 48]


def test_plan_gives_alias_its_source_buffer_and_scratch_a_slot():
    graph = fakeops.small_graph()
    layers = compiler.lower(graph, load_target("host"))
    plan = compiler.plan_arena(graph, layers)
    assert plan.offsets["t3"] == plan.offsets["t2"]
    assert set(plan.scratch_offsets) == {"lut1", "lut2"}


def test_model_files_need_a_known_suffix_and_must_exist(tmp_path):
    (tmp_path / "m.pb").write_bytes(b"")
    with pytest.raises(MncError, match="unknown model format"):
        compiler.load_source(tmp_path / "m.pb", CompileOptions())
    with pytest.raises(MncError, match="not found"):
        compiler.load_source(str(tmp_path / "absent.tflite"), CompileOptions())


def test_graph_source_keeps_its_name():
    graph = fakeops.small_graph()
    assert compiler.load_source(graph, CompileOptions()) == (graph, "codegen_test")
    assert CompileOptions().default_out_dir("codegen_test").as_posix() == "build/codegen_test-host"


def test_options_reject_unknown_calibration_method():
    with pytest.raises(MncError, match="calibration method"):
        CompileOptions(calibration_method="guess")
