"""Liveness of activation buffers over the schedule (the order of `graph.ops()`).

Time is the index of an op in the schedule. A buffer is live over the closed interval
[start, end]: from the op that writes it to the last op that reads it. An op's inputs and
outputs are live at the same step, so they never share memory (kernels do not run in place).
Graph inputs are live from step 0, graph outputs until the last step (they must still hold
the result after `mnc_run`). Constants are not activations and get no buffer.

Aliases (reshape: output shares its input's memory) map a tensor to the tensor whose memory it
reuses; a whole alias chain forms one buffer whose interval covers every member.
Per-op scratch memory is a buffer live only during its op.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mnc.ir import Graph


@dataclass(eq=False)
class Buffer:
    name: str                    # the root tensor of an alias chain, or "scratch:<op name>"
    size: int                    # bytes
    start: int                   # first live step (inclusive)
    end: int                     # last live step (inclusive)
    tensors: list[str] = field(default_factory=list)   # tensors stored here (empty for scratch)
    scratch_op: str | None = None

    def overlaps_in_time(self, other: Buffer) -> bool:
        return self.start <= other.end and other.start <= self.end


def scratch_buffer_name(op_name: str) -> str:
    return f"scratch:{op_name}"


def resolve_alias(name: str, aliases: dict[str, str]) -> str:
    """Follow alias links to the tensor that owns the memory."""
    seen = {name}
    while name in aliases:
        name = aliases[name]
        if name in seen:
            raise ValueError(f"alias cycle through tensor {name!r}")
        seen.add(name)
    return name


def compute_buffers(graph: Graph, scratch: dict[str, int] | None = None,
                    aliases: dict[str, str] | None = None, spans: dict[int, tuple[int, int]] | None = None,
                    streamed: frozenset[str] = frozenset()) -> list[Buffer]:
    """One buffer per alias chain of activation tensors, plus one per op scratch request.

    `spans` stretches the steps of a row-streamed segment (mnc.memory.stream) to the whole segment:
    its ops run interleaved, so whatever one of them touches is live from the segment's first op to
    its last. `streamed` tensors live only in the segments' windows and get no buffer here."""
    scratch, aliases, spans = scratch or {}, aliases or {}, spans or {}
    ops = graph.ops()
    last = max(len(ops) - 1, 0)
    buffers: dict[str, Buffer] = {}

    def touch(name: str, step: int) -> None:
        if not name or graph.tensor(name).is_const or name in streamed:
            return
        root = resolve_alias(name, aliases)
        buf = buffers.get(root)
        first, final = spans.get(step, (step, step))
        if buf is None:
            buf = buffers[root] = Buffer(root, 0, first, final)
        if name not in buf.tensors:
            buf.tensors.append(name)
        buf.size = max(buf.size, graph.tensor(name).nbytes)
        buf.start, buf.end = min(buf.start, first), max(buf.end, final)

    for name in graph.inputs:
        touch(name, 0)
    for step, op in enumerate(ops):
        for name in [*op.inputs, *op.outputs]:
            touch(name, step)
    for name in graph.outputs:
        touch(name, last)
    result = list(buffers.values())
    result.extend(_scratch_buffers(ops, scratch, spans))
    return result


def _scratch_buffers(ops, scratch: dict[str, int], spans: dict[int, tuple[int, int]]) -> list[Buffer]:
    steps = {op.name: i for i, op in enumerate(ops)}
    unknown = sorted(set(scratch) - set(steps))
    if unknown:
        raise ValueError(f"scratch requested for unknown ops: {', '.join(unknown)}")
    return [Buffer(scratch_buffer_name(name), int(nbytes), *spans.get(steps[name], (steps[name], steps[name])),
                   scratch_op=name)
            for name, nbytes in scratch.items() if nbytes > 0]


def summed_peak_bytes(buffers: list[Buffer]) -> int:
    """The largest total size of buffers live at one step: the smallest arena in which no two live
    buffers share a byte. A streamed plan, whose segment output overwrites its input's consumed rows,
    can need less; the bytes a plan really uses are MemoryPlan.peak_live_bytes."""
    if not buffers:
        return 0
    steps = range(min(b.start for b in buffers), max(b.end for b in buffers) + 1)
    return max(sum(b.size for b in buffers if b.start <= s <= b.end) for s in steps)
