"""Offset assignment for the activation arena.

Finding the smallest arena is NP-hard in general (dynamic storage allocation), so the planner runs
a few cheap deterministic heuristics and keeps the smallest plan (ties: the earlier strategy):

* ``greedy_by_size``: largest buffer first, each at the lowest 16-byte-aligned offset where it
  misses every already placed buffer live at the same time (TFLite Micro's greedy planner).
* ``ping_pong``: buffers in schedule order, alternately packed against the bottom and the top of
  an arena bounded by the largest sum of live buffer sizes at one step. On a chain network this
  reaches the floor max_layer(input + output), which size-ordering misses (it stacks a layer's
  input on top of an earlier, larger buffer's slot instead of opposite it).

Every plan goes through `check_plan`: no two buffers live at one step may share a byte, except a
streamed segment's output and the input whose consumed rows it overwrites, which
`mnc.memory.rowcheck` proves safe row by row instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from mnc.ir import Graph
from mnc.memory import groups as grp
from mnc.memory.liveness import Buffer, compute_buffers, summed_peak_bytes
from mnc.memory.rowcheck import check_segment_rows, inplace_shift
from mnc.memory.stream import Segment, window_bytes

ALIGNMENT = 16

Placement = dict[str, int]   # buffer name -> offset


@dataclass(eq=False)
class MemoryPlan:
    offsets: dict[str, int]          # every activation tensor (alias members included) -> arena offset
    arena_bytes: int                 # arena size the plan needs
    scratch_offsets: dict[str, int] = field(default_factory=dict)   # op name -> offset of its scratch
    buffers: list[Buffer] = field(default_factory=list)
    buffer_offsets: dict[str, int] = field(default_factory=dict)    # buffer name -> offset
    strategy: str = ""               # the heuristic that produced this plan
    segments: list[Segment] = field(default_factory=list)          # row-streamed segments, if any
    window_offsets: dict[str, int] = field(default_factory=dict)   # streamed tensor -> its window's offset
    overlaps: set[tuple[str, str]] = field(default_factory=set)    # (input, output) buffers allowed to overlap

    def offset_of(self, tensor: str) -> int:
        return self.offsets[tensor]

    @property
    def peak_live_bytes(self) -> int:
        """Most arena bytes in use at one step (the largest of live_bytes_per_step): at most arena_bytes,
        and on a streamed plan below the sum of the live buffers' sizes (liveness.summed_peak_bytes)."""
        steps = max((b.end for b in self.buffers), default=-1) + 1
        return max(self.live_bytes_per_step(steps), default=0)

    def live_bytes_per_step(self, steps: int) -> list[int]:
        """Arena bytes in use at each of the first `steps` schedule steps: the union of the live buffers'
        ranges, so a streamed output over its input's consumed rows counts once (never above arena_bytes)."""
        return [covered_bytes([(self.buffer_offsets[b.name], self.buffer_offsets[b.name] + b.size)
                               for b in self.buffers if b.start <= step <= b.end])
                for step in range(steps)]


def covered_bytes(ranges: list[tuple[int, int]]) -> int:
    """Bytes covered by the [lo, hi) ranges, overlaps counted once."""
    total, reach = 0, 0
    for lo, hi in sorted(ranges):
        if hi > reach:
            total, reach = total + hi - max(lo, reach), hi
    return total


def window_buffer_name(tensor: str) -> str:
    return f"window:{tensor}"


def plan_memory(graph: Graph, scratch: dict[str, int] | None = None,
                aliases: dict[str, str] | None = None, segments: list[Segment] | None = None,
                verify_rows: bool = True) -> MemoryPlan:
    """Plan the arena for `graph` in schedule order. `aliases` maps alias tensor -> source tensor;
    `segments` run row-streamed (their internal tensors live in windows). `verify_rows=False` skips
    the row-by-row replay (the chooser's trial plans; the chosen plan is always replayed)."""
    segments = segments or []
    spans = {i: (s.first, s.last) for s in segments for i in s.ops}
    streamed = frozenset(t for s in segments for t in s.internal)
    scratch, sharing = _shared_segment_scratch(graph, scratch or {}, segments)
    buffers = compute_buffers(graph, scratch, aliases, spans, streamed) + _window_buffers(graph, segments)
    pairs = _inplace_pairs(graph, segments, buffers, aliases or {})
    if pairs:
        plan = _grouped_plan(buffers, pairs)
        if plan is None:
            pairs = {}
    if not pairs:
        strategy, placed = _best_placement(buffers)
        plan = _make_plan(buffers, placed, strategy, set())
    plan.segments = segments
    for op, owner in sharing.items():
        plan.scratch_offsets[op] = plan.scratch_offsets[owner]
    plan.window_offsets = {t: plan.buffer_offsets[window_buffer_name(t)] for t in streamed}
    check_plan(plan)
    for segment in segments if verify_rows else []:
        check_segment_rows(graph, segment, {**plan.offsets, **plan.window_offsets})
    return plan


def _make_plan(buffers: list[Buffer], placed: Placement, strategy: str, overlaps: set) -> MemoryPlan:
    return MemoryPlan(
        offsets={t: placed[b.name] for b in buffers for t in b.tensors},
        arena_bytes=_arena_end(buffers, placed),
        scratch_offsets={b.scratch_op: placed[b.name] for b in buffers if b.scratch_op},
        buffers=buffers,
        buffer_offsets=placed,
        strategy=strategy,
        overlaps=overlaps,
    )


def _shared_segment_scratch(graph: Graph, scratch: dict[str, int], segments: list[Segment]
                            ) -> tuple[dict[str, int], dict[str, str]]:
    """A segment's calls run one at a time and kernel scratch lives only during a call, so the ops of
    a segment share one scratch buffer (the largest request), owned by the first op that asks.
    Returns the merged requests and op -> owning op for the others."""
    ops = graph.ops()
    merged, sharing = dict(scratch), {}
    for s in segments:
        names = [ops[i].name for i in s.ops if scratch.get(ops[i].name, 0) > 0]
        if len(names) < 2:
            continue
        merged[names[0]] = max(scratch[n] for n in names)
        for n in names[1:]:
            del merged[n]
            sharing[n] = names[0]
    return merged, sharing


def _window_buffers(graph: Graph, segments: list[Segment]) -> list[Buffer]:
    return [Buffer(window_buffer_name(t), nbytes, s.first, s.last)
            for s in segments for t, nbytes in sorted(window_bytes(graph, s).items())]


def _inplace_pairs(graph: Graph, segments: list[Segment], buffers: list[Buffer],
                   aliases: dict[str, str]) -> dict[tuple[str, str], int]:
    """(input buffer, output buffer) -> shift for each segment whose largest input dies inside it."""
    owner = {t: b for b in buffers for t in b.tensors}
    pairs = {}
    for s in segments:
        out = owner.get(s.output)
        dying = [owner[t] for t in s.external_inputs
                 if t in owner and owner[t].end == s.last and t not in graph.outputs and t not in aliases.values()
                 and len(owner[t].tensors) == 1]
        if out is None or not dying:
            continue
        source = max(dying, key=lambda b: (b.size, b.name))
        shift = s.shifts.get(source.name)
        if shift is None:
            shift = s.shifts[source.name] = inplace_shift(graph, s, source.name)
        if shift < out.size + source.size:
            pairs[(source.name, out.name)] = shift
    return pairs


def _grouped_plan(buffers: list[Buffer], pairs: dict[tuple[str, str], int]) -> MemoryPlan | None:
    """The best of the group-aware strategies, or None if the pairs cannot be honoured."""
    groups, allowed = grp.make_groups(buffers, pairs)
    bound = grp.grouped_peak(buffers, groups)
    candidates = {
        "greedy_by_size+rows": grp.greedy_groups(buffers, groups, allowed),
        "ping_pong+rows": grp.ping_pong_groups(buffers, groups, allowed, bound, start_top=False),
        "ping_pong_top+rows": grp.ping_pong_groups(buffers, groups, allowed, bound, start_top=True),
    }
    best = None
    for name, placed in candidates.items():
        plan = _make_plan(buffers, placed, name, allowed)
        try:
            check_plan(plan)
        except RuntimeError:
            continue
        if best is None or plan.arena_bytes < best.arena_bytes:
            best = plan
    return best


def _best_placement(buffers: list[Buffer]) -> tuple[str, Placement]:
    best: tuple[str, Placement] | None = None
    for name, strategy in STRATEGIES.items():
        placed = strategy(buffers)
        if best is None or _arena_end(buffers, placed) < _arena_end(buffers, best[1]):
            best = (name, placed)
    assert best is not None
    return best


def _arena_end(buffers: list[Buffer], placed: Placement) -> int:
    return max((placed[b.name] + b.size for b in buffers), default=0)


# ---- strategies ----------------------------------------------------------------------------
def greedy_by_size(buffers: list[Buffer]) -> Placement:
    placed: Placement = {}
    for buf in sorted(buffers, key=lambda b: (-b.size, b.start, b.name)):
        placed[buf.name] = _lowest_fit(_occupied(buf, buffers, placed), buf.size)
    return placed


def ping_pong(buffers: list[Buffer]) -> Placement:
    """Schedule order; each buffer goes to the side opposite its most recent live neighbour."""
    bound = _align(summed_peak_bytes(buffers))
    by_name = {b.name: b for b in buffers}
    placed: Placement = {}
    on_top: dict[str, bool] = {}
    for buf in sorted(buffers, key=lambda b: (b.start, -b.size, b.name)):
        occupied = _occupied(buf, buffers, placed)
        neighbours = [by_name[n] for n in placed if by_name[n].overlaps_in_time(buf)]
        latest = max(neighbours, key=lambda b: (b.start, b.end), default=None)
        want_top = latest is not None and not on_top[latest.name]
        placed[buf.name], on_top[buf.name] = _fit_on_side(occupied, buf.size, bound, want_top)
    return placed


STRATEGIES: dict[str, Callable[[list[Buffer]], Placement]] = {
    "greedy_by_size": greedy_by_size,
    "ping_pong": ping_pong,
}


# ---- placement helpers ---------------------------------------------------------------------
def _occupied(buf: Buffer, buffers: list[Buffer], placed: Placement) -> list[tuple[int, int]]:
    """Byte ranges taken by placed buffers live at the same time as `buf`, sorted by start."""
    return sorted((placed[o.name], placed[o.name] + o.size)
                  for o in buffers if o.name in placed and o.overlaps_in_time(buf))


def _fit_on_side(occupied: list[tuple[int, int]], size: int, bound: int, top: bool) -> tuple[int, bool]:
    """Preferred side within `bound`, else the other side, else the lowest fit past the bound."""
    for side in (top, not top):
        offset = _highest_fit(occupied, size, bound) if side else _lowest_fit(occupied, size)
        if offset is not None and offset + size <= bound:
            return offset, side
    return _lowest_fit(occupied, size), False


def _lowest_fit(occupied: list[tuple[int, int]], size: int) -> int:
    """Lowest aligned offset whose [offset, offset + size) misses every occupied range."""
    offset = 0
    for lo, hi in occupied:
        if offset + size <= lo:
            break
        offset = max(offset, _align(hi))
    return offset


def _highest_fit(occupied: list[tuple[int, int]], size: int, bound: int) -> int | None:
    """Highest aligned offset with [offset, offset + size) inside [0, bound) missing `occupied`."""
    offset = _align_down(bound - size)
    for lo, hi in sorted(occupied, key=lambda r: -r[1]):
        if offset < 0:
            return None
        if hi <= offset:
            break
        if lo < offset + size:
            offset = _align_down(lo - size)
    return offset if offset >= 0 else None


def _align(n: int) -> int:
    return (n + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


def _align_down(n: int) -> int:
    return n // ALIGNMENT * ALIGNMENT


def check_plan(plan: MemoryPlan) -> None:
    """Raise if two buffers live at the same step share bytes, or one leaves the arena."""
    items = sorted(((b, plan.buffer_offsets[b.name]) for b in plan.buffers), key=lambda item: item[1])
    for i, (a, off_a) in enumerate(items):
        if off_a % ALIGNMENT or off_a < 0 or off_a + a.size > plan.arena_bytes:
            raise RuntimeError(f"memory plan: buffer {a.name!r} misplaced at offset {off_a}")
        for b, off_b in items[i + 1:]:
            if off_b >= off_a + a.size:
                break   # sorted by offset: no later buffer reaches back into a
            if (a.name, b.name) in plan.overlaps or (b.name, a.name) in plan.overlaps:
                continue   # a streamed output over its input's consumed rows: proven by the row check
            if a.overlaps_in_time(b):
                raise RuntimeError(f"memory plan: live buffers {a.name!r} and {b.name!r} overlap")
