"""Placement of buffers tied together at fixed relative offsets.

A streamed segment's output may start `shift` bytes below an input whose rows it overwrites once
consumed (mnc.memory.rowcheck). Such a pair is placed as one unit: a group of buffers with fixed
offsets relative to the group's base, each member still conflicting with other buffers only while it
is live. Pairs chain (a segment's output is the next segment's input), so a group can hold several
buffers. Singletons are groups of one, so the strategies below place every buffer the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from mnc.memory.liveness import Buffer

ALIGNMENT = 16


@dataclass(eq=False)
class Group:
    members: list[tuple[Buffer, int]]    # (buffer, offset relative to the group's base >= 0)

    @property
    def span(self) -> int:
        return max(rel + b.size for b, rel in self.members)

    @property
    def start(self) -> int:
        return min(b.start for b, _ in self.members)

    @property
    def name(self) -> str:
        return min(b.name for b, _ in self.members)


def align(n: int) -> int:
    return (n + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


def align_down(n: int) -> int:
    return n // ALIGNMENT * ALIGNMENT


def make_groups(buffers: list[Buffer], pairs: dict[tuple[str, str], int]
                ) -> tuple[list[Group], set[tuple[str, str]]]:
    """Union the (source, output) pairs into groups; output sits align(shift) below its source.
    Returns the groups and the pairs they honour (a pair closing a cycle is dropped)."""
    honoured: set[tuple[str, str]] = set()
    rel: dict[str, int] = {b.name: 0 for b in buffers}
    root = {b.name: b.name for b in buffers}

    def find(n: str) -> str:
        while root[n] != n:
            n = root[n]
        return n

    for (src, out), shift in sorted(pairs.items()):
        rs, ro = find(src), find(out)
        if rs == ro:
            continue
        honoured.add((src, out))
        # place out's group so that rel[out] = rel[src] - align(shift)
        delta = rel[src] - align(shift) - rel[out]
        for b in buffers:
            if find(b.name) == ro:
                rel[b.name] += delta
        root[ro] = rs
    by_root: dict[str, list[Buffer]] = {}
    for b in buffers:
        by_root.setdefault(find(b.name), []).append(b)
    groups = []
    for members in by_root.values():
        low = min(rel[b.name] for b in members)
        groups.append(Group([(b, rel[b.name] - low) for b in members]))
    return groups, honoured


def grouped_peak(buffers: list[Buffer], groups: list[Group]) -> int:
    """Most bytes live at one step when each group's live members count by the span they cover."""
    if not buffers:
        return 0
    steps = range(min(b.start for b in buffers), max(b.end for b in buffers) + 1)
    best = 0
    for s in steps:
        total = 0
        for g in groups:
            live = [(rel, rel + b.size) for b, rel in g.members if b.start <= s <= b.end]
            if live:
                total += align(max(hi for _, hi in live) - min(lo for lo, _ in live))
        best = max(best, total)
    return best


def time_neighbours(buffers: list[Buffer]) -> dict[str, list[Buffer]]:
    """Per buffer, the other buffers live at some common step."""
    order = sorted(buffers, key=lambda b: b.start)
    result: dict[str, list[Buffer]] = {b.name: [] for b in buffers}
    for i, a in enumerate(order):
        for b in order[i + 1:]:
            if b.start > a.end:
                break
            result[a.name].append(b)
            result[b.name].append(a)
    return result


def _conflicts(group: Group, base: int, placed: dict[str, int], near: dict[str, list[Buffer]],
               allowed: set[tuple[str, str]]) -> bool:
    for b, rel in group.members:
        lo = base + rel
        for o in near[b.name]:
            if o.name not in placed or (o.name, b.name) in allowed or (b.name, o.name) in allowed:
                continue
            if lo < placed[o.name] + o.size and placed[o.name] < lo + b.size:
                return True
    return False


def _candidates(group: Group, placed: dict[str, int], near: dict[str, list[Buffer]], lowest: bool,
                bound: int) -> list[int]:
    bases = {0, align_down(max(bound - group.span, 0))}
    for b, rel in group.members:
        for o in near[b.name]:
            if o.name in placed:
                bases.add(align(placed[o.name] + o.size) - rel)
                bases.add(align_down(placed[o.name] - b.size) - rel)
    bases = {x for x in bases if x >= 0 and x % ALIGNMENT == 0}
    return sorted(bases, reverse=not lowest)


def fit_group(group: Group, placed: dict[str, int], near: dict[str, list[Buffer]], allowed: set[tuple[str, str]],
              lowest: bool = True, bound: int | None = None) -> int:
    """Lowest (or highest within `bound`) base where no member meets a live placed buffer."""
    if not lowest and bound is not None:
        for base in _candidates(group, placed, near, False, bound):
            if base + group.span <= bound and not _conflicts(group, base, placed, near, allowed):
                return base
    for base in _candidates(group, placed, near, True, 0):
        if not _conflicts(group, base, placed, near, allowed):
            return base
    raise AssertionError("no base fits")   # unreachable: above every placed buffer always fits


def place(group: Group, base: int, placed: dict[str, int]) -> None:
    for b, rel in group.members:
        placed[b.name] = base + rel


def greedy_groups(buffers: list[Buffer], groups: list[Group], allowed: set[tuple[str, str]]) -> dict[str, int]:
    placed: dict[str, int] = {}
    near = time_neighbours(buffers)
    for g in sorted(groups, key=lambda g: (-g.span, g.start, g.name)):
        place(g, fit_group(g, placed, near, allowed), placed)
    return placed


def ping_pong_groups(buffers: list[Buffer], groups: list[Group], allowed: set[tuple[str, str]], bound: int,
                     start_top: bool) -> dict[str, int]:
    """Schedule order, alternating sides within `bound` (see planner.ping_pong)."""
    placed: dict[str, int] = {}
    near = time_neighbours(buffers)
    top = start_top
    for g in sorted(groups, key=lambda g: (g.start, -g.span, g.name)):
        place(g, fit_group(g, placed, near, allowed, lowest=not top, bound=bound), placed)
        top = not top
    return placed
