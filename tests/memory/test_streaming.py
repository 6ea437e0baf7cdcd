"""Row-streamed segments: the schedule of band calls, the row-by-row overlap check, and the chooser.

The graphs are real built-in variants at a small resolution, quantized and lowered for the host;
packages are compared byte for byte in test_streamed_packages.py.
"""

from __future__ import annotations

import dataclasses
import re

import pytest

from mnc import compiler, memory
from mnc.errors import FitError
from mnc.memory import choose
from mnc.memory.liveness import summed_peak_bytes
from mnc.memory.rowcheck import check_segment_rows, inplace_shift
from mnc.memory.rows import RowMap
from mnc.memory.stream import Call, Copy, SegmentError, build_segment
from mnc.options import CompileOptions
from mnc.targets import load_target


@pytest.fixture(scope="module")
def v2():
    """MobileNetV2-0.35 at 32x32 (block 2 is expand -> stride-2 depthwise -> project), lowered."""
    options = CompileOptions(target="cortex-m7", resolution=32)
    graph, _ = compiler.load_source("v2-0.35", options)
    graph = compiler.optimize_and_quantize(graph, options)
    layers = compiler.lower(graph, load_target("cortex-m7"))
    return graph, layers


def segment(v2, first: int, last: int, band: int):
    graph, layers = v2
    return build_segment(graph, graph.ops(), [l.call.kernel for l in layers], [l.call.inputs for l in layers],
                         first, last, band)


def planner(v2):
    graph, layers = v2
    scratch = {l.op.name: l.call.scratch_bytes for l in layers if l.call.scratch_bytes > 0}
    return lambda segments, verify=True: memory.plan_memory(graph, scratch, {}, segments, verify)


def test_row_map_clips_to_the_input_and_gives_the_band_top_padding():
    m = RowMap(stride=2, pad_top=1, extent=3, in_h=8)
    assert m.needs(0, 1) == (0, 2) and m.band_pad_top(0) == 1
    assert m.needs(1, 3) == (1, 6) and m.band_pad_top(1) == 0
    assert m.needs(3, 4) == (5, 8)


@pytest.mark.parametrize("band", [1, 2, 3])
def test_every_internal_row_is_computed_exactly_once(v2, band):
    graph = v2[0]
    seg = segment(v2, 0, 5, band)
    computed = {}
    for step in seg.steps:
        if isinstance(step, Call) and step.output.tensor in seg.internal:
            for r in range(*step.out_rows):
                computed[(step.output.tensor, r)] = computed.get((step.output.tensor, r), 0) + 1
    assert set(computed.values()) == {1}
    assert {t for t, _ in computed} == set(seg.internal)
    for t in seg.internal:
        assert sum(1 for tt, _ in computed if tt == t) == graph.tensor(t).shape[1]
    # windows hold a few rows, far fewer than the tensors
    assert all(rows < graph.tensor(t).shape[1] for t, rows in seg.internal.items())


def test_windows_slide_by_copying_the_rows_still_needed(v2):
    seg = segment(v2, 0, 5, 1)
    assert any(isinstance(s, Copy) for s in seg.steps)


def test_a_tensor_read_after_the_segment_cannot_be_streamed(v2):
    graph = v2[0]
    ops = graph.ops()
    # block 2's project output is read by the next block (and, in later blocks, by the residual add)
    project = next(i for i in range(6, len(ops)) if len([j for j, op in enumerate(ops) if ops[i].outputs[0] in op.inputs]) > 1)
    with pytest.raises(SegmentError):
        segment(v2, project, project + 1, 1)


def test_row_check_accepts_the_planned_overlap_and_catches_one_row_more(v2):
    graph = v2[0]
    seg = segment(v2, 0, 5, 1)
    plan = planner(v2)([seg])
    assert plan.overlaps, "the segment's output should overlap its dying input"
    (source, out), = plan.overlaps
    offsets = {**plan.offsets, **plan.window_offsets}
    check_segment_rows(graph, seg, offsets)
    shift = inplace_shift(graph, seg, source)
    tight = {**offsets, out: offsets[source] - shift}
    check_segment_rows(graph, seg, tight)
    row = graph.tensor(out).shape[2] * graph.tensor(out).shape[3]
    with pytest.raises(RuntimeError, match="still to be read"):
        check_segment_rows(graph, seg, {**offsets, out: offsets[source] - shift + row})


def test_row_check_catches_a_window_too_small(v2):
    graph = v2[0]
    seg = segment(v2, 0, 5, 2)
    plan = planner(v2)([seg])
    t = next(iter(seg.internal))
    shrunk = dataclasses.replace(seg, internal={**seg.internal, t: seg.internal[t] - 1})
    with pytest.raises(RuntimeError, match="window|holds rows"):
        check_segment_rows(graph, shrunk, {**plan.offsets, **plan.window_offsets})


def test_plain_planner_rejects_an_overlap_that_is_not_a_streamed_pair(v2):
    seg = segment(v2, 0, 5, 1)
    plan = planner(v2)([seg])
    plan.overlaps = set()
    with pytest.raises(RuntimeError, match="overlap"):
        memory.check_plan(plan)


def test_chooser_lowers_the_arena_and_stays_within_the_instruction_allowance(v2):
    graph, layers = v2
    plain = planner(v2)([])
    choice = choose.choose_schedule(graph, [l.call.kernel for l in layers], [l.call.inputs for l in layers],
                                    sum(l.macs for l in layers), planner(v2))
    assert choice.segments and choice.plan.arena_bytes < plain.arena_bytes
    assert choice.overhead <= 0.10 * choose.PLAIN_INSTRUCTIONS_PER_MAC * sum(l.macs for l in layers)


def test_budget_below_the_floor_names_the_floor_and_the_layer():
    options = CompileOptions(target="host", resolution=32, ram_budget=64)
    with pytest.raises(FitError, match=r"--ram-budget 64 is below the smallest arena mnc reaches: \d+ bytes, "
                                       r"set at layer '[^']+'"):
        compiler.plan_model("v1-0.25", options)


def test_the_floor_named_by_the_error_is_reachable():
    options = CompileOptions(target="host", resolution=32, ram_budget=1)
    with pytest.raises(FitError) as error:
        compiler.plan_model("v1-0.25", options)
    floor = int(re.search(r"reaches: (\d+) bytes", str(error.value)).group(1))
    plain = compiler.plan_model("v1-0.25", dataclasses.replace(options, ram_budget=None))[2].arena_bytes
    graph, _, plan = compiler.plan_model("v1-0.25", dataclasses.replace(options, ram_budget=floor))
    assert plan.arena_bytes == floor < plain and plan.segments


def test_a_board_whose_ram_the_plain_plan_exceeds_gets_a_streamed_plan(tmp_path):
    # v2-0.35 at 96x96: plain arena 138,240 B; the NUCLEO-F411RE has 128 KiB of RAM
    options = CompileOptions(target="cortex-m4", board="nucleo_f411re", build_sizes=False, out_dir=tmp_path / "p")
    result = compiler.compile_model("v2-0.35", options)
    assert result.plan.segments and result.arena_bytes <= 128 * 1024 - 8 * 1024 - 256


def test_peak_live_bytes_of_a_streamed_plan_counts_overlapping_bytes_once():
    """A segment's output placed over its input's consumed rows shares bytes with it: the plan's peak is the
    most bytes in use at one step (live_bytes_per_step), never above the arena, while the plain sum of the
    live buffers' sizes is above it (that sum is the floor of plans without such overlaps only)."""
    options = CompileOptions(target="cortex-m7", resolution=64, schedule="auto")
    graph, _, plan = compiler.plan_model("v1-0.25", options)
    assert plan.segments and plan.overlaps
    assert plan.peak_live_bytes == max(plan.live_bytes_per_step(len(graph.ops()))) <= plan.arena_bytes
    assert summed_peak_bytes(plan.buffers) > plan.arena_bytes
