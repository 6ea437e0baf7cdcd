"""mnc_transpose_s8: any permutation of the axes of an int8 tensor of rank <= 4."""

from __future__ import annotations

from dataclasses import dataclass

from mnc.kernels.base import KernelDescriptor, Params
from mnc.ops.constraints import MAX_RANK
from mnc.ops.transpose import permutation


@dataclass(frozen=True)
class TransposeParams(Params):
    out_dim0: int
    out_dim1: int
    out_dim2: int
    out_dim3: int
    in_stride0: int
    in_stride1: int
    in_stride2: int
    in_stride3: int


class Transpose(KernelDescriptor):
    name = "mnc_transpose_s8"
    params_type = TransposeParams


    def params(self, op, graph):
        shape = graph.tensor(op.inputs[0]).shape
        lead = MAX_RANK - len(shape)
        perm = tuple(range(lead)) + tuple(lead + p for p in permutation(op, len(shape)))
        padded = (1,) * lead + tuple(shape)
        strides = _strides(padded)
        return TransposeParams(*(padded[p] for p in perm), *(strides[p] for p in perm))


def _strides(shape: tuple[int, ...]) -> list[int]:
    """Row-major element strides."""
    strides, step = [0] * len(shape), 1
    for axis in range(len(shape) - 1, -1, -1):
        strides[axis], step = step, step * shape[axis]
    return strides


KERNEL = Transpose()
