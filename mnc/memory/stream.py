"""Row-streamed execution of a segment: consecutive ops run band by band, interleaved, so the tensors
passed inside the segment only ever exist as a few rows in a window buffer.

A segment is ops [first, last] of the schedule whose every output except the last op's is read only
inside the segment (the "internal" tensors). The last op's output and every tensor read from outside
are whole tensors in the arena. Execution is pulled by the last op, `band` output rows at a time:
before an op computes rows [a, b), the rows its inputs need are computed first (each internal row
exactly once, never recomputed), and an internal tensor's window drops the rows no consumer needs any
more by moving the kept rows to its start (a `Copy` step) when the new rows would not fit.

The result is a list of steps in execution order. Each `Call` records, per operand, which row of the
tensor sits where: whole tensors at row r, windows at slot r - base. `mnc.memory.rowcheck` replays the
steps on the final arena offsets and proves row by row that no write lands on a byte still to be read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mnc.ir import Graph, Op
from mnc.memory.rows import RowMap, row_bytes, row_maps, rows_of


@dataclass(frozen=True)
class Operand:
    tensor: str
    first_row: int      # tensor row the pointer points at
    slot: int           # where that row sits in the operand's buffer (== first_row for whole tensors)
    rows: int           # rows the call reads (inputs) or writes (output)


@dataclass(frozen=True)
class Call:
    layer: int                      # index of the op in the schedule
    out_rows: tuple[int, int]       # [a, b) of its output
    inputs: tuple[Operand, ...]
    output: Operand


@dataclass(frozen=True)
class Copy:
    tensor: str                     # an internal tensor's window: rows move from slot src to slot 0
    src_slot: int
    rows: int


Step = Call | Copy


@dataclass(eq=False)
class Segment:
    first: int                      # schedule indices [first, last]
    last: int
    band: int                       # output rows of the last op per pull
    internal: dict[str, int] = field(default_factory=dict)   # internal tensor -> window capacity in rows
    steps: list[Step] = field(default_factory=list)
    output: str = ""
    external_inputs: list[str] = field(default_factory=list)
    shifts: dict[str, int] = field(default_factory=dict)   # cache of rowcheck.inplace_shift per input

    @property
    def ops(self) -> range:
        return range(self.first, self.last + 1)

    def fused(self) -> bool:
        return self.last > self.first


class SegmentError(ValueError):
    """The ops cannot run as one row-streamed segment."""


def build_segment(graph: Graph, ops: list[Op], kernels: list[str], call_inputs: list[list[str]],
                  first: int, last: int, band: int, slack: int = 0) -> Segment:
    """Stream ops[first..last] (whose kernels and activation-input lists are given) in bands of
    `band` rows of the last op's output. Windows hold their minimum rows plus `slack`."""
    seg_ops = {i: ops[i] for i in range(first, last + 1)}
    maps = {}
    for i, op in seg_ops.items():
        m = row_maps(op, graph, kernels[i], call_inputs[i])
        if m is None:
            raise SegmentError(f"op {op.name!r} ({kernels[i]}) cannot run on bands of rows")
        maps[i] = m
    internal = _internal_tensors(graph, ops, first, last)
    sim = _Simulation(graph, seg_ops, maps, internal, caps=None)
    sim.run(band)
    caps = {t: need + slack for t, need in sim.span.items()}
    final = _Simulation(graph, seg_ops, maps, internal, caps=caps)
    final.run(band)
    externals = sorted({n for i in seg_ops for n in maps[i] if n not in internal})
    return Segment(first, last, band, caps, final.steps, ops[last].outputs[0], externals)


def _internal_tensors(graph: Graph, ops: list[Op], first: int, last: int) -> set[str]:
    inside = set(range(first, last + 1))
    internal = set()
    for i in range(first, last):
        name = ops[i].outputs[0]
        readers = {j for j, op in enumerate(ops) if name in op.inputs}
        if len(ops[i].outputs) != 1 or not readers or not readers <= inside or name in graph.outputs:
            raise SegmentError(f"tensor {name!r} is read outside the segment")
        internal.add(name)
    return internal


class _Simulation:
    """One pull-driven pass. With caps=None the windows grow freely and `span` records the most rows
    each window ever had to hold at once (keeping only what consumers still need)."""

    def __init__(self, graph, seg_ops: dict[int, Op], maps: dict[int, dict[str, RowMap]], internal: set[str],
                 caps: dict[str, int] | None):
        self.graph, self.ops, self.maps, self.internal, self.caps = graph, seg_ops, maps, internal, caps
        self.producer = {op.outputs[0]: i for i, op in seg_ops.items()}
        self.consumers = {t: [i for i in seg_ops if t in maps[i]] for t in internal}
        self.done = {i: 0 for i in seg_ops}         # output rows computed per op
        self.base = {t: 0 for t in internal}        # tensor row held in slot 0
        self.span = {t: 0 for t in internal}
        self.steps: list[Step] = []

    def run(self, band: int) -> None:
        last = max(self.ops)
        height = rows_of(self.graph, self.ops[last].outputs[0])
        for a in range(0, height, band):
            self.pull(last, a, min(height, a + band))

    def pull(self, i: int, a: int, b: int) -> None:
        """Compute output rows [a, b) of op i (its inputs' rows first)."""
        op = self.ops[i]
        for name, m in self.maps[i].items():
            lo, hi = m.needs(a, b)
            if name in self.internal:
                self.ensure(name, hi)
        out = op.outputs[0]
        if out in self.internal:
            self.make_room(out, a, b)
        self.steps.append(Call(i, (a, b), tuple(self.operand(n, *m.needs(a, b)) for n, m in self.maps[i].items()),
                               self.operand(out, a, b)))
        self.done[i] = b

    def ensure(self, name: str, hi: int) -> None:
        i = self.producer[name]
        if self.done[i] < hi:
            self.pull(i, self.done[i], hi)

    def make_room(self, name: str, a: int, b: int) -> None:
        """Drop rows below what every consumer still needs when rows [a, b) would not fit."""
        keep = min(self.maps[c][name].needs(self.done[c], self.done[c] + 1)[0] for c in self.consumers[name])
        keep = min(keep, a)
        if self.caps is None:
            self.base[name] = keep
            self.span[name] = max(self.span[name], b - keep)
            return
        if b - self.base[name] <= self.caps[name]:
            return
        if b - keep > self.caps[name]:
            raise SegmentError(f"window of {name!r} too small")
        if a > keep:
            self.steps.append(Copy(name, keep - self.base[name], a - keep))
        self.base[name] = keep

    def operand(self, name: str, lo: int, hi: int) -> Operand:
        slot = lo - self.base[name] if name in self.internal else lo
        return Operand(name, lo, slot, hi - lo)


def window_bytes(graph: Graph, segment: Segment) -> dict[str, int]:
    """Bytes of each internal tensor's window."""
    return {t: rows * row_bytes(graph, t) for t, rows in segment.internal.items()}
