"""Fields shared by the broadcasting binary kernels (add, mul): the output shape and each input's
strides padded to 4-D, zero points, the op's own requantization constants and the clamp."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mnc.kernels.base import COMMON_HEADER, KernelDescriptor, Params
from mnc.ops import get_op
from mnc.ops.elementwise import MAX_RANK, broadcast_strides

if TYPE_CHECKING:
    from mnc.ir import Graph, Op


@dataclass(frozen=True)
class BroadcastFields(Params):
    """The leading fields of the add and mul params structs: output shape and input strides padded to
    4-D, then the zero points. Each kernel's record adds its requantization and clamp fields after them."""

    dim0: int
    dim1: int
    dim2: int
    dim3: int
    in0_stride0: int
    in0_stride1: int
    in0_stride2: int
    in0_stride3: int
    in1_stride0: int
    in1_stride1: int
    in1_stride2: int
    in1_stride3: int
    in0_offset: int
    in1_offset: int
    output_offset: int


def binary_fields(op: Op, graph: Graph) -> dict[str, int]:
    out = graph.tensor(op.outputs[0]).shape
    dims = (1,) * (MAX_RANK - len(out)) + tuple(out)
    fields = {f"dim{i}": d for i, d in enumerate(dims)}
    for k, name in enumerate(op.inputs):
        for i, s in enumerate(broadcast_strides(graph.tensor(name).shape, out)):
            fields[f"in{k}_stride{i}"] = s
    opdef = get_op(op.kind)
    lo, hi = opdef.act_range(op, graph)
    return {**fields, "in0_offset": -_zero_point(graph, op.inputs[0]), "in1_offset": -_zero_point(graph, op.inputs[1]),
            "output_offset": _zero_point(graph, op.outputs[0]), **opdef.requant_params(op, graph),
            "act_min": lo, "act_max": hi}


def _zero_point(graph: Graph, name: str) -> int:
    return graph.tensor(name).quant.single()[1]


class BinaryKernel(KernelDescriptor):
    """add and mul: both inputs are activations (the second may be a broadcast constant tensor)."""

    extra_sources = (COMMON_HEADER,)

    def params(self, op, graph):
        return self.params_type(**binary_fields(op, graph))

    def inputs(self, op):
        return list(op.inputs)


class HeliumBinaryKernel(BinaryKernel):
    """add and mul on Helium: the innermost axis is walked four elements at a time; along it each input
    is contiguous (stride 1) or broadcast (stride 0), as broadcast_strides always gives."""

    extra_sources = (COMMON_HEADER, "mnc_binary_mve_s8.h", "mnc_requant_mve_s8.h")
    feature = "mve"
