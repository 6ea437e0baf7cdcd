"""Offset assignment for the activation arena.

Finding the smallest arena is NP-hard in general (dynamic storage allocation), so the planner runs
a few cheap deterministic heuristics and keeps the smallest plan (ties: the earlier strategy):

* ``greedy_by_size``: largest buffer first, each at the lowest 16-byte-aligned offset where it
  misses every already placed buffer live at the same time (TFLite Micro's greedy planner).
* ``ping_pong``: buffers in schedule order, alternately packed against the bottom and the top of
  an arena bounded by the peak of live bytes. On a chain network this reaches the floor
  max_layer(input + output), which size-ordering misses (it stacks a layer's input on top of an
  earlier, larger buffer's slot instead of opposite it).

Every plan goes through `check_plan`: no two buffers live at one step may share a byte.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from mnc.ir import Graph
from mnc.memory.liveness import Buffer, compute_buffers, peak_live_bytes

ALIGNMENT = 16

Placement = dict[str, int]   # buffer name -> offset


@dataclass(eq=False)
class MemoryPlan:
    offsets: dict[str, int]          # every activation tensor (alias members included) -> arena offset
    arena_bytes: int                 # arena size the plan needs
    scratch_offsets: dict[str, int] = field(default_factory=dict)   # op name -> offset of its scratch
    buffers: list[Buffer] = field(default_factory=list)
    buffer_offsets: dict[str, int] = field(default_factory=dict)    # buffer name -> offset
    peak_live_bytes: int = 0         # lower bound: most bytes live at one step
    strategy: str = ""               # the heuristic that produced this plan

    def offset_of(self, tensor: str) -> int:
        return self.offsets[tensor]


def plan_memory(graph: Graph, scratch: dict[str, int] | None = None,
                aliases: dict[str, str] | None = None) -> MemoryPlan:
    """Plan the arena for `graph` in schedule order. `aliases` maps alias tensor -> source tensor."""
    buffers = compute_buffers(graph, scratch, aliases)
    strategy, placed = _best_placement(buffers)
    plan = MemoryPlan(
        offsets={t: placed[b.name] for b in buffers for t in b.tensors},
        arena_bytes=_arena_end(buffers, placed),
        scratch_offsets={b.scratch_op: placed[b.name] for b in buffers if b.scratch_op},
        buffers=buffers,
        buffer_offsets=placed,
        peak_live_bytes=peak_live_bytes(buffers),
        strategy=strategy,
    )
    check_plan(plan)
    return plan


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
    bound = _align(peak_live_bytes(buffers))
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
    items = [(b, plan.buffer_offsets[b.name]) for b in plan.buffers]
    for i, (a, off_a) in enumerate(items):
        if off_a % ALIGNMENT or off_a < 0 or off_a + a.size > plan.arena_bytes:
            raise RuntimeError(f"memory plan: buffer {a.name!r} misplaced at offset {off_a}")
        for b, off_b in items[i + 1:]:
            if a.overlaps_in_time(b) and off_a < off_b + b.size and off_b < off_a + a.size:
                raise RuntimeError(f"memory plan: live buffers {a.name!r} and {b.name!r} overlap")
