"""Boards as data: every shipped board loads, agrees with PlatformIO's manifest, and the fit check
refuses what does not fit, naming the peak layer and the sizes."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from mnc.boards import (
    CODE_ALLOWANCE_BYTES, FIRMWARE_RAM_BYTES, STACK_BYTES, available_boards, board_from_dict, fit_on_board,
    load_board, peak_layer_of, require_fit,
)
from mnc.errors import FitError, MncError
from mnc.memory.liveness import Buffer
from mnc.memory.planner import MemoryPlan

MANIFESTS = json.loads((Path(__file__).parent / "platformio_manifests.json").read_text())
SHIPPED = sorted(k for k in MANIFESTS if not k.startswith("_"))


def test_the_issue_s_boards_are_shipped():
    assert set(SHIPPED) <= set(available_boards())


@pytest.mark.parametrize("name", SHIPPED)
def test_board_agrees_with_platformio_manifest(name):
    board, facts = load_board(name), MANIFESTS[name]
    assert board.pio_board == name and board.platform == facts["platform"]
    assert board.core_target == facts["cpu"]
    assert board.target().cflags[0] == f"-mcpu={facts['cpu']}"
    assert board.clock_hz == facts["f_cpu"]
    assert board.flash_bytes == facts["maximum_size"]
    assert board.ram_bytes <= facts["maximum_ram_size"]
    assert board.upload_protocol == facts["protocol"]


@pytest.mark.parametrize("name", available_boards())
def test_board_memory_map_is_plausible(name):
    board = load_board(name)
    assert board.flash.origin in (0x0, 0x08000000)
    assert board.ram.origin % 0x1000 == 0 and board.ram.size % 1024 == 0
    assert board.uart.tx.name and board.uart.baud == 115_200 and board.uart.clock_hz >= 1_000_000


def test_netduino_is_the_emulated_board():
    board = load_board("netduino2plus")
    assert board.emulator is not None and board.emulator.qemu_machine == "netduinoplus2"
    assert (board.flash.origin, board.flash.size, board.ram.origin, board.ram.size) == \
        (0x08000000, 1 << 20, 0x20000000, 128 << 10)


def test_unknown_and_malformed_boards_are_one_clear_error():
    with pytest.raises(MncError, match="unknown board 'nope' \\(available: .*netduino2plus"):
        load_board("nope")
    with pytest.raises(MncError, match="unknown board"):
        load_board("../cortex-m4")
    with pytest.raises(MncError, match="board 'x': missing or malformed field"):
        board_from_dict("x", {"title": "X"})


def _lowered(sizes_by_step: list[list[int]], const_bytes: int):
    """Fake layers and plan: at step i the buffers of sizes_by_step[i] are live (one step each)."""
    layers = [SimpleNamespace(op=SimpleNamespace(name=f"layer{i}"),
                              call=SimpleNamespace(arrays=[SimpleNamespace(data=np.zeros(const_bytes if i == 0 else 0,
                                                                                          np.int8))]))
              for i in range(len(sizes_by_step))]
    buffers = [Buffer(f"b{i}_{j}", size, i, i) for i, sizes in enumerate(sizes_by_step) for j, size in enumerate(sizes)]
    offsets = {f"b{i}_{j}": sum(sizes[:j]) for i, sizes in enumerate(sizes_by_step) for j in range(len(sizes))}
    plan = MemoryPlan(offsets={}, arena_bytes=max(sum(s) for s in sizes_by_step), buffers=buffers,
                      buffer_offsets=offsets)   # each step's buffers stacked from offset 0
    return layers, plan


def test_fit_names_peak_layer_and_sizes():
    board = load_board("nucleo_f411re")
    layers, plan = _lowered([[1000, 2000], [60_000, 70_000], [500]], const_bytes=100_000)
    fit = fit_on_board(board, layers, plan)
    assert (fit.peak_layer, fit.peak_layer_bytes) == ("layer1", 130_000)
    assert fit.ram_needed == 130_000 + STACK_BYTES + FIRMWARE_RAM_BYTES
    assert fit.flash_needed == 100_000 + CODE_ALLOWANCE_BYTES
    assert not fit.fits_ram and fit.fits_flash
    with pytest.raises(FitError) as err:
        require_fit(board, layers, plan)
    message = str(err.value)
    assert "\n" not in message
    assert "nucleo_f411re" in message and "'layer1'" in message
    assert f"{fit.ram_needed:,} B" in message and "131,072 B (too big)" in message


def test_peak_of_a_streamed_plan_is_the_arena_s_peak():
    """A streamed segment's output is placed over its input's consumed rows: those bytes count once, so
    the peak layer's live bytes never exceed the arena, reach it in this tight plan, and name the step
    `mnc info --memory` names."""
    from mnc.compiler import plan_model
    from mnc.memory.report import memory_report
    from mnc.options import CompileOptions

    graph, layers, plan = plan_model("v1-0.25", CompileOptions(target="cortex-m7", resolution=64, schedule="auto"))
    assert plan.segments and plan.overlaps
    name, peak = peak_layer_of(plan, [layer.op.name for layer in layers])
    assert peak == plan.arena_bytes
    assert name == memory_report(graph, plan)["peak_op"]


def test_model_that_fits_passes():
    layers, plan = _lowered([[1000], [2000]], const_bytes=10_000)
    assert require_fit(load_board("netduino2plus"), layers, plan).fits


def test_flash_overflow_is_refused():
    layers, plan = _lowered([[1000]], const_bytes=600_000)
    with pytest.raises(FitError, match="flash 632,768 B .* of 524,288 B \\(too big\\)"):
        require_fit(load_board("nucleo_f446re"), layers, plan)


def test_compile_checks_the_board(tmp_path, shared_models):
    from mnc.compiler import compile_model
    from mnc.options import CompileOptions

    vww = shared_models / "vww_96_int8.tflite"
    with pytest.raises(MncError, match="board nucleo_h743zi runs cortex-m7 code, not cortex-m4"):
        compile_model(vww, CompileOptions(target="cortex-m4", board="nucleo_h743zi", out_dir=tmp_path / "a",
                                          build_sizes=False))
    assert not (tmp_path / "a").exists()
    result = compile_model(vww, CompileOptions(target="cortex-m4", board="netduino2plus", out_dir=tmp_path / "b",
                                               build_sizes=False))
    assert result.arena_bytes < load_board("netduino2plus").ram_bytes
