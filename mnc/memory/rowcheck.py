"""Row-granular overlap: how far below its input a streamed segment's output may start, and the
replay that proves a placed plan safe row by row.

A segment's output may overwrite rows of an input that no later step reads (the input is then dead
row by row, not only as a whole). With every output row r at `out + r * out_row` and every input row
at `in + r * in_row`, the writes of step k must stay below the first input row any step >= k reads:

    out + b_k * out_row <= in + L_k * in_row     for every step k writing output rows [a_k, b_k)

so `in - out >= shift = max_k (b_k * out_row - L_k * in_row)`. The planner places such a pair at
least `shift` apart instead of fully apart; `check_segment_rows` then replays the steps on the final
offsets without trusting `shift`.
"""

from __future__ import annotations

from mnc.ir import Graph
from mnc.memory.rows import row_bytes, rows_of
from mnc.memory.stream import Call, Copy, Segment


def first_rows_still_read(segment: Segment, tensor: str, height: int) -> list[int]:
    """Per step: the lowest row of `tensor` that this step or a later one reads (height if none)."""
    lows, low = [], height
    for step in reversed(segment.steps):
        if isinstance(step, Call):
            for operand in step.inputs:
                if operand.tensor == tensor:
                    low = min(low, operand.first_row)
        lows.append(low)
    return lows[::-1]


def inplace_shift(graph: Graph, segment: Segment, source: str) -> int:
    """Smallest offset(source) - offset(output) that keeps every still-needed row of `source` intact."""
    out_row, in_row = row_bytes(graph, segment.output), row_bytes(graph, source)
    lows = first_rows_still_read(segment, source, rows_of(graph, source))
    # may be negative: the output may then start above the input's first byte
    return max((step.output.first_row + step.output.rows) * out_row - low * in_row
               for step, low in zip(segment.steps, lows)
               if isinstance(step, Call) and step.output.tensor == segment.output)


def check_segment_rows(graph: Graph, segment: Segment, offsets: dict[str, int]) -> None:
    """Raise unless, on these arena offsets, no step writes a byte another step still reads, every
    internal row is computed exactly once, and every window read finds the rows it expects."""
    windows = {t: [None] * cap for t, cap in segment.internal.items()}
    computed: dict[str, set[int]] = {t: set() for t in segment.internal}
    heights = {t: rows_of(graph, t) for t in segment.external_inputs}
    lows = {t: first_rows_still_read(segment, t, h) for t, h in heights.items()}
    for k, step in enumerate(segment.steps):
        if isinstance(step, Copy):
            _replay_copy(windows[step.tensor], step)
            continue
        for operand in step.inputs:
            if operand.tensor in windows:
                _expect_rows(windows[operand.tensor], operand, graph)
        out = step.output
        if out.tensor in windows:
            _write_window(windows[out.tensor], computed[out.tensor], out)
            continue
        write = (offsets[out.tensor] + out.first_row * row_bytes(graph, out.tensor),
                 offsets[out.tensor] + (out.first_row + out.rows) * row_bytes(graph, out.tensor))
        for source, low in ((t, lows[t][k]) for t in heights):
            row = row_bytes(graph, source)
            live = (offsets[source] + low * row, offsets[source] + heights[source] * row)
            if write[0] < live[1] and live[0] < write[1]:
                raise RuntimeError(f"row check: step {k} writes rows {out.first_row}..{out.first_row + out.rows - 1}"
                                   f" of {out.tensor!r} over rows {low}+ of {source!r}, still to be read")
    for t, rows in computed.items():
        if rows != set(range(rows_of(graph, t))):
            raise RuntimeError(f"row check: rows of {t!r} not all computed")


def _replay_copy(window: list, step: Copy) -> None:
    moved = window[step.src_slot:step.src_slot + step.rows]
    window[:step.rows] = moved
    window[step.rows:] = [None] * (len(window) - step.rows)


def _expect_rows(window: list, operand, graph: Graph) -> None:
    want = list(range(operand.first_row, operand.first_row + operand.rows))
    got = window[operand.slot:operand.slot + operand.rows]
    if operand.slot < 0 or got != want:
        raise RuntimeError(f"row check: window of {operand.tensor!r} holds rows {got}, a step reads {want}")


def _write_window(window: list, computed: set[int], out) -> None:
    if out.slot < 0 or out.slot + out.rows > len(window):
        raise RuntimeError(f"row check: rows {out.first_row}.. of {out.tensor!r} fall outside its window")
    for i in range(out.rows):
        row = out.first_row + i
        if row in computed:
            raise RuntimeError(f"row check: row {row} of {out.tensor!r} computed twice")
        computed.add(row)
        window[out.slot + i] = row
