"""transpose: permute the axes of a tensor (importers use it to fix NHWC/NCHW element order).

Pure data movement, so int8 is exact and the output shares the input's quantization.
"""

from __future__ import annotations

import numpy as np

from mnc.errors import ModelError
from mnc.ops import register
from mnc.ops.base import OpDef
from mnc.quant import share_quant


class Transpose(OpDef):
    kind = "transpose"

    def infer(self, op, graph):
        x = graph.tensor(op.inputs[0])
        perm = _perm(op, len(x.shape))
        return [(tuple(x.shape[p] for p in perm), x.dtype)]

    def eval_float(self, op, graph, inputs):
        x = np.asarray(inputs[0], np.float32)
        return [np.ascontiguousarray(np.transpose(x, _perm(op, x.ndim)))]

    def eval_int8(self, op, graph, inputs):
        x = np.asarray(inputs[0])
        return [np.ascontiguousarray(np.transpose(x, _perm(op, x.ndim)))]

    def quantize(self, op, graph, ranges):
        share_quant(graph, op.inputs[0], op.outputs[0])


def _perm(op, rank: int) -> tuple[int, ...]:
    perm = tuple(int(p) for p in op.attrs["perm"])
    if sorted(perm) != list(range(rank)):
        raise ModelError(f"op {op.name!r}: perm {perm} is not a permutation of {rank} axes")
    return perm


register(Transpose())
