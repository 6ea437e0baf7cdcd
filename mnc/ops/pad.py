"""pad: constant padding with real 0 (int8: the zero point; the output shares the input's quant)."""

from __future__ import annotations

import numpy as np

from mnc.errors import ModelError
from mnc.ops import register
from mnc.ops.base import SAME_AS_INPUT, OpDef
from mnc.ops.constraints import INPUT_RANK_4

MAX_RANK = 4


class Pad(OpDef):
    kind = "pad"
    tflite_ops = ("PAD",)
    onnx_ops = ("Pad",)
    attrs_doc = "pads: ((before, after), ...) per dim"
    notes = "int8: pads with the zero point"
    constraints = (INPUT_RANK_4,)
    output_quant = SAME_AS_INPUT
    preserves_sign = True
    kernels = ("mnc_pad_s8",)

    def infer(self, op, graph):
        x = graph.tensor(op.inputs[0])
        pads = pads_of(op, len(x.shape))
        return [(tuple(d + a + b for d, (a, b) in zip(x.shape, pads)), x.dtype)]

    def eval_float(self, op, graph, inputs):
        x = np.asarray(inputs[0], np.float32)
        return [np.pad(x, pads_of(op, x.ndim), constant_values=0.0)]

    def eval_int8(self, op, graph, inputs):
        x = np.asarray(inputs[0], np.int8)
        return [np.pad(x, pads_of(op, x.ndim), constant_values=pad_value(op, graph))]



def pads_of(op, rank: int) -> tuple[tuple[int, int], ...]:
    pads = tuple((int(a), int(b)) for a, b in op.attrs["pads"])
    if len(pads) != rank or any(a < 0 or b < 0 for a, b in pads):
        raise ModelError(f"op {op.name!r}: pads {pads} must give (before, after) >= 0 for each of {rank} dims")
    return pads


def pad_value(op, graph) -> int:
    q = graph.tensor(op.inputs[0]).quant
    if q is None or q.zero_point.size != 1:
        raise ModelError(f"op {op.name!r}: int8 pad needs a per-tensor quantized input")
    return int(q.zero_point[0])


register(Pad())
