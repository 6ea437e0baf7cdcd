"""transpose: permute the axes of a tensor (importers use it to fix NHWC/NCHW element order).

Pure data movement, so int8 is exact and the output shares the input's quantization. C kernel:
mnc_transpose_s8 (mnc/kernels/transpose.py), any permutation of up to 4 axes.
"""

from __future__ import annotations

import numpy as np

from mnc.errors import ModelError
from mnc.ops import register
from mnc.ops.base import SAME_AS_INPUT, OpDef
from mnc.ops.constraints import INPUT_RANK_4, INT8_INPUT


class Transpose(OpDef):
    kind = "transpose"
    onnx_ops = ("Transpose",)
    attrs_doc = "perm (tuple)"
    notes = "any permutation; layout fixes from importers (ONNX Reshape/Flatten of NHWC data)"
    constraints = (INT8_INPUT, INPUT_RANK_4)
    output_quant = SAME_AS_INPUT
    kernels = ("mnc_transpose_s8",)

    def infer(self, op, graph):
        x = graph.tensor(op.inputs[0])
        perm = permutation(op, len(x.shape))
        return [(tuple(x.shape[p] for p in perm), x.dtype)]

    def eval_float(self, op, graph, inputs):
        x = np.asarray(inputs[0], np.float32)
        return [np.ascontiguousarray(np.transpose(x, permutation(op, x.ndim)))]

    def eval_int8(self, op, graph, inputs):
        x = np.asarray(inputs[0])
        return [np.ascontiguousarray(np.transpose(x, permutation(op, x.ndim)))]



def permutation(op, rank: int) -> tuple[int, ...]:
    perm = tuple(int(p) for p in op.attrs["perm"])
    if sorted(perm) != list(range(rank)):
        raise ModelError(f"op {op.name!r}: perm {perm} is not a permutation of {rank} axes")
    return perm


register(Transpose())
