"""`mnc report`: per-layer numbers agree with the compiler's own, for built-ins, .tflite and .onnx,
in the three output formats and with plots; on an emulated core, the per-layer instructions."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mnc.compiler import compile_model
from mnc.frontends.builtin import build_variant
from mnc.frontends.onnx.exporter import export_onnx
from mnc.options import CompileOptions
from mnc.memory.planner import MemoryPlan
from mnc.report import ALIAS_KERNEL, build_report
from tests.conftest import need_tool
from tests.test_cli import assert_one_line_error, invoke

pytestmark = pytest.mark.slow
SMALL = "v1-0.25-32"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def host_report():
    return build_report(SMALL, CompileOptions(seed=0))


def test_layers_match_the_compiled_package(host_report, tmp_path):
    result = compile_model(SMALL, CompileOptions(out_dir=tmp_path / "pkg"))
    model_c = (result.out_dir / "model.c").read_text()
    assert [layer.name for layer in host_report.layers] == [layer.op.name for layer in result.layers]
    assert host_report.macs == result.macs and host_report.arena_bytes == result.arena_bytes
    for layer, compiled in zip(host_report.layers, result.layers):
        if compiled.call.is_alias:
            assert layer.kernel == ALIAS_KERNEL
        else:
            assert f"{layer.kernel}(&" in model_c, layer.kernel     # the kernel the package really calls
        assert layer.weight_bytes == sum(a.data.nbytes for a in compiled.call.arrays)
    assert host_report.weight_bytes > host_report.params > 0         # int8 weights plus int32 biases


def test_live_bytes_hold_each_layers_inputs_and_outputs(host_report):
    graph = build_variant(SMALL)
    assert max(layer.live_bytes for layer in host_report.layers) == host_report.peak_live_bytes
    assert host_report.peak_live_bytes <= host_report.arena_bytes
    first = host_report.layers[0]
    (h, w, c) = graph.tensor("input").shape[1:]
    out = int(np.prod(first.output_shape))
    assert first.live_bytes >= h * w * c + out


def test_live_bytes_per_step_counts_buffers_in_their_interval_and_shared_bytes_once():
    from mnc.memory.liveness import Buffer

    buffers = [Buffer("a", 10, 0, 1), Buffer("b", 5, 1, 2), Buffer("scratch:x", 3, 2, 2)]
    plan = MemoryPlan(offsets={}, arena_bytes=16, buffers=buffers, buffer_offsets={"a": 0, "b": 6, "scratch:x": 0})
    assert plan.live_bytes_per_step(4) == [10, 11, 8, 0]    # at step 1, b sits over a's last 4 bytes


def test_live_bytes_of_a_streamed_plan_stay_within_the_arena():
    """A streamed segment's output overlaps its input's consumed rows: the bytes count once."""
    report = build_report("v1-0.25-64", CompileOptions(schedule="auto", seed=0))
    assert max(layer.live_bytes for layer in report.layers) == report.peak_live_bytes == report.arena_bytes


def test_cli_formats_for_a_builtin(capsys, tmp_path):
    status, out, _ = invoke(capsys, "report", "--variant", SMALL, "--json")
    assert status == 0
    data = json.loads(out)
    assert data["totals"]["macs"] == sum(layer["macs"] for layer in data["layers"])
    assert data["totals"]["instructions"] is None and data["target"] == "host"
    status, out, _ = invoke(capsys, "report", "--variant", SMALL, "--markdown")
    assert status == 0
    rows = [line for line in out.splitlines() if line.startswith("| ")]
    assert len(rows) == 2 + len(data["layers"]) + 1              # header, alignment, layers, total
    status, out, _ = invoke(capsys, "report", "--variant", SMALL)
    assert status == 0 and "conv1" in out and "total" in out


def test_cli_tflite_with_plots(capsys, tmp_path, shared_models):
    plots = tmp_path / "plots"
    status, out, err = invoke(capsys, "report", str(shared_models / "vww_96_int8.tflite"), "--json",
                              "--plot", str(plots))
    assert status == 0, err
    data = json.loads(out)
    conv_macs = sum(layer["macs"] for layer in data["layers"]
                    if layer["kind"] in ("conv2d", "depthwise_conv2d", "fully_connected"))
    assert conv_macs == 7_489_664
    for name in ("layers.png", "memory.png"):
        assert (plots / name).read_bytes()[:8] == PNG_MAGIC


def test_cli_onnx_markdown(capsys, tmp_path):
    path = tmp_path / "v2.onnx"
    export_onnx(build_variant("v2-0.35-32", classes=4), path)
    status, out, err = invoke(capsys, "report", str(path), "--markdown")
    assert status == 0, err
    assert "| block1\\_dw | depthwise\\_conv2d |" in out


@pytest.mark.parametrize("argv", [
    ["report", "--variant", SMALL, "--json", "--markdown"],
    ["report"],
    ["report", "missing.onnx"],
    ["report", "--variant", "v9-1.0"],
    ["report", "--variant", SMALL, "--target", "cortex-z9"],
    ["report", "--variant", SMALL, "--target", "cortex-m4", "--board", "nucleo_f446re"],
    ["report", "--variant", SMALL, "--board", "no_such_board"],
    ["report", "--variant", "v1-1.0-224", "--classes", "1000", "--board", "nucleo_f446re"],   # does not fit
])
def test_cli_errors_are_one_line(capsys, argv):
    status, _, err = invoke(capsys, *argv)
    assert status in (1, 2)
    errors = [line for line in err.splitlines() if not line.startswith("warning: ")]   # synthetic calibration
    assert_one_line_error("\n".join(errors))


@pytest.mark.qemu
def test_emulated_core_gives_instructions_per_layer(tmp_path):
    need_tool("qemu-system-arm")
    need_tool("arm-none-eabi-gcc")
    report = build_report(SMALL, CompileOptions(target="cortex-m4"))
    counted = [layer.instructions for layer in report.layers if layer.kernel != ALIAS_KERNEL]
    assert all(n is not None and n > 0 for n in counted)
    assert sum(counted) <= report.instructions * 1.1     # profiling hooks add a little per layer
    assert sum(counted) >= report.instructions * 0.9
    conv = max(report.layers, key=lambda layer: layer.macs)
    assert 0.05 < conv.macs_per_instruction < 4
    assert report.flash_bytes > report.weight_bytes and report.ram_bytes >= report.arena_bytes
