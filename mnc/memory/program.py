"""The order of kernel calls in `mnc_run` for a plan with row-streamed segments, with their arena
pointers and band parameters (mnc.kernels.steps records; mnc.codegen.context names and formats them).

Plain layers are one call each on whole tensors. A segment (mnc.memory.stream) becomes its steps:
band calls whose params are the layer's params with the row geometry rewritten
(mnc.memory.rows.band_params) and whose pointers address a band's first rows, and `memmove`s that
slide a window.
"""

from __future__ import annotations

from mnc.ir import Graph
from mnc.kernels.call import KernelCall
from mnc.kernels.steps import CopyStep, KernelStep, ProgramStep
from mnc.memory.rows import band_params, row_bytes, row_maps
from mnc.memory.stream import Call, Copy, Operand, Segment




def build_program(graph: Graph, calls: list, schedule_index: dict[int, int], plan) -> list[ProgramStep]:
    """Steps of `mnc_run`: `calls` are the emitted layers (op + KernelCall), `schedule_index` maps a
    schedule position (graph.ops() index) to its position in `calls`."""
    offsets = {**plan.offsets}
    segments = {s.first: s for s in getattr(plan, "segments", [])}
    covered = {i for s in segments.values() for i in s.ops}
    steps: list[ProgramStep] = []
    for pos in sorted(schedule_index):
        if pos in segments:
            steps.extend(_segment_steps(graph, calls, schedule_index, segments[pos], plan))
        elif pos not in covered:
            k = schedule_index[pos]
            call: KernelCall = calls[k].call
            steps.append(KernelStep(k, None, tuple(_offset(graph, n, offsets) for n in call.inputs),
                                    tuple(offsets[n] for n in call.outputs), True, True, True))
    return steps


def _offset(graph: Graph, name: str, offsets: dict[str, int]) -> int | None:
    return None if graph.tensor(name).is_const else offsets[name]


def _segment_steps(graph: Graph, calls: list, schedule_index: dict[int, int], segment: Segment, plan
                   ) -> list[ProgramStep]:
    last_call = {}
    for n, step in enumerate(segment.steps):
        if isinstance(step, Call):
            last_call[step.layer] = n
    seen: set[int] = set()
    out: list[ProgramStep] = []
    for n, step in enumerate(segment.steps):
        if isinstance(step, Copy):
            base, row = plan.window_offsets[step.tensor], row_bytes(graph, step.tensor)
            out.append(CopyStep(base, base + step.src_slot * row, step.rows * row))
            continue
        k = schedule_index[step.layer]
        layer = calls[k]
        maps = row_maps(layer.op, graph, layer.call.kernel, layer.call.inputs)
        row_map = next(iter(maps.values()))
        params = band_params(layer.call.kernel, layer.call.params, row_map, *step.out_rows)
        by_tensor = {o.tensor: o for o in step.inputs}
        inputs = tuple(_address(graph, by_tensor[n], plan) for n in layer.call.inputs)
        out.append(KernelStep(k, params, inputs, (_address(graph, step.output, plan),), step.layer not in seen,
                              n == last_call[step.layer], step.output.tensor not in segment.internal))
        seen.add(step.layer)
    return out


def _address(graph: Graph, operand: Operand, plan) -> int:
    base = plan.window_offsets.get(operand.tensor)
    if base is None:
        base = plan.offsets[operand.tensor]
    return base + operand.slot * row_bytes(graph, operand.tensor)
