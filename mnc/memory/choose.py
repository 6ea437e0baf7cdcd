"""Choosing which parts of the schedule run row-streamed, and in which bands.

Streaming is chosen, never forced: it costs instructions (one call per band instead of one per
layer, halo rows read again by each band of a windowed kernel, window rows moved) and on some graphs
it does not lower the peak at all. The chooser starts from the plain plan and repeatedly adds the
one segment, among those covering the step that sets the current peak, that lowers the arena most;
it stops when nothing lowers it, when the arena fits `budget`, or (no budget) when the next segment
would take the modelled instruction overhead past `max_overhead` of the plain build.

The instruction model is deliberately simple (constants measured on the Cortex-M7 DSP kernels,
rounded up); bench/memory.py measures both plans on the emulator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from mnc.ir import Graph
from mnc.memory.planner import MemoryPlan
from mnc.memory.rows import row_bytes
from mnc.memory.stream import Call, Copy, Segment, SegmentError, build_segment

CALL_INSTRUCTIONS = 300          # per extra kernel call: prologue, params, per-call setup of weights
HALO_INSTRUCTIONS_PER_BYTE = 2   # an input byte read again by the next band (unpacking, loads)
COPY_INSTRUCTIONS_PER_BYTE = 0.5
PLAIN_INSTRUCTIONS_PER_MAC = 1.8  # the plain build, for the overhead ratio (VWW on M7: ~1.8)
MAX_SEGMENT_OPS = 6
BANDS = (1, 2, 4, 8)

Planner = Callable[[list[Segment], bool], MemoryPlan]   # (segments, verify rows) -> plan


@dataclass
class Choice:
    plan: MemoryPlan
    segments: list[Segment]
    overhead: float          # modelled extra instructions
    peak_layer: int          # schedule index of the step that sets the arena


def segment_overhead(graph: Graph, segment: Segment) -> float:
    """Modelled extra instructions of running `segment` streamed instead of one call per op."""
    calls = [s for s in segment.steps if isinstance(s, Call)]
    extra_calls = len(calls) - len(segment.ops)
    read: dict[tuple[int, str], int] = {}
    for c in calls:
        for operand in c.inputs:
            read[(c.layer, operand.tensor)] = read.get((c.layer, operand.tensor), 0) + operand.rows
    halo = 0
    for (layer, tensor), rows in read.items():
        height = graph.tensor(tensor).shape[1]
        halo += max(0, rows - height) * row_bytes(graph, tensor)
    copied = sum(s.rows * row_bytes(graph, s.tensor) for s in segment.steps if isinstance(s, Copy))
    return extra_calls * CALL_INSTRUCTIONS + halo * HALO_INSTRUCTIONS_PER_BYTE + copied * COPY_INSTRUCTIONS_PER_BYTE


def occupied_by_step(plan: MemoryPlan) -> list[int]:
    """Per schedule step, the bytes covered by live buffers (overlapping pairs counted once)."""
    last = max((b.end for b in plan.buffers), default=-1)
    result = []
    for s in range(last + 1):
        ranges = sorted((plan.buffer_offsets[b.name], plan.buffer_offsets[b.name] + b.size)
                        for b in plan.buffers if b.start <= s <= b.end)
        total, reach = 0, 0
        for lo, hi in ranges:
            if hi > reach:
                total += hi - max(lo, reach)
                reach = hi
        result.append(total)
    return result


def peak_steps(plan: MemoryPlan) -> list[int]:
    """Steps that set the arena: the first where live buffers reach its end, and where most bytes
    are live."""
    occupied = occupied_by_step(plan)
    steps = {max(range(len(occupied)), key=lambda s: (occupied[s], -s))} if occupied else {0}
    for s in range(len(occupied)):
        if any(b.start <= s <= b.end and plan.buffer_offsets[b.name] + b.size == plan.arena_bytes
               for b in plan.buffers):
            steps.add(s)
            break
    return sorted(steps)


def score(plan: MemoryPlan) -> tuple:
    """Smaller is better: the arena, then the occupied bytes of every step, largest first."""
    return (plan.arena_bytes, tuple(sorted(occupied_by_step(plan), reverse=True)))


def choose_schedule(graph: Graph, kernels: list[str], call_inputs: list[list[str]], macs: int,
                    planner: Planner, budget: int | None = None, max_overhead: float = 0.10) -> Choice:
    """The segments to stream (see module docstring) and the resulting plan."""
    ops = graph.ops()
    segments: list[Segment] = []
    plan = planner(segments, False)
    overhead = 0.0
    allowance = max_overhead * PLAIN_INSTRUCTIONS_PER_MAC * macs
    cache: dict[tuple[int, int, int], Segment | None] = {}
    while budget is None or plan.arena_bytes > budget:
        current = score(plan)
        best = None
        for seg in _candidates(graph, ops, kernels, call_inputs, segments, peak_steps(plan), cache):
            found = _evaluate(planner, segments, seg, current)
            if found is not None and (best is None or found[0] < best[0]):
                best = (found[0], seg, found[1])
        if best is None:
            break
        key, seg, trial = best
        seg, trial, cost = _widest_band(graph, ops, kernels, call_inputs, planner, segments, seg, trial, cache)
        if budget is None and overhead + cost > allowance:
            break
        segments = sorted([s for s in segments if not _inside(s, seg)] + [seg], key=lambda s: s.first)
        plan, overhead = trial, overhead + cost
    plan = planner(segments, True)   # the chosen plan, replayed row by row
    occupied = occupied_by_step(plan)
    return Choice(plan, segments, overhead, max(range(len(occupied)), key=lambda s: (occupied[s], -s)))


def _evaluate(planner: Planner, segments: list[Segment], seg: Segment, current: tuple):
    """(score, plan) with `seg` added, if that scores better than `current`."""
    trial = _try(planner, [s for s in segments if not _inside(s, seg)] + [seg])
    if trial is None or score(trial) >= current:
        return None
    return score(trial), trial


def _widest_band(graph, ops, kernels, call_inputs, planner, segments, seg: Segment, trial: MemoryPlan,
                 cache: dict) -> tuple[Segment, MemoryPlan, float]:
    """The band (rows per pull) with the fewest modelled instructions whose arena equals `trial`'s."""
    best = (segment_overhead(graph, seg), seg, trial)
    for band in BANDS:
        if band <= seg.band:
            continue
        wider = _segment(graph, ops, kernels, call_inputs, seg.first, seg.last, band, cache)
        if wider is None:
            continue
        plan = _try(planner, [s for s in segments if not _inside(s, wider)] + [wider])
        cost = segment_overhead(graph, wider)
        if plan is not None and plan.arena_bytes <= trial.arena_bytes and cost < best[0]:
            best = (cost, wider, plan)
    return best[1], best[2], best[0]


def _try(planner: Planner, segments: list[Segment]) -> MemoryPlan | None:
    try:
        return planner(sorted(segments, key=lambda s: s.first), False)
    except (RuntimeError, SegmentError):
        return None


def _inside(inner: Segment, outer: Segment) -> bool:
    return outer.first <= inner.first and inner.last <= outer.last


def _candidates(graph: Graph, ops, kernels, call_inputs, segments: list[Segment], steps: list[int],
                cache: dict) -> list[Segment]:
    """Segments covering one of `steps`, not cutting through an existing segment (they may swallow one)."""
    found = []
    ranges = sorted({(first, last) for step in steps
                     for first in range(max(0, step - MAX_SEGMENT_OPS + 1), step + 1)
                     for last in range(step, min(len(ops), first + MAX_SEGMENT_OPS))})
    for first, last in ranges:
        if any(_crosses(s, first, last) for s in segments) or any(
                s.first == first and s.last == last and s.band == BANDS[0] for s in segments):
            continue
        seg = _segment(graph, ops, kernels, call_inputs, first, last, BANDS[0], cache)
        if seg is not None:
            found.append(seg)
    return found


def _segment(graph, ops, kernels, call_inputs, first: int, last: int, band: int, cache: dict) -> Segment | None:
    key = (first, last, band)
    if key not in cache:
        try:
            cache[key] = build_segment(graph, ops, kernels, call_inputs, first, last, band)
        except SegmentError:
            cache[key] = None
    return cache[key]


def _crosses(s: Segment, first: int, last: int) -> bool:
    """True if [first, last] overlaps s without containing it."""
    overlaps = s.first <= last and first <= s.last
    return overlaps and not (first <= s.first and s.last <= last)
