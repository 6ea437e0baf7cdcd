"""pad: constant padding with real 0 (int8: the zero point; the output shares the input's quant)."""

from __future__ import annotations

import numpy as np

from mnc.kernels.call import KernelCall
from mnc.errors import ModelError, UnsupportedError
from mnc.ops import register
from mnc.ops.base import OpDef
from mnc.quant import share_quant

MAX_RANK = 4


class Pad(OpDef):
    kind = "pad"

    def infer(self, op, graph):
        x = graph.tensor(op.inputs[0])
        pads = _pads(op, len(x.shape))
        return [(tuple(d + a + b for d, (a, b) in zip(x.shape, pads)), x.dtype)]

    def eval_float(self, op, graph, inputs):
        x = np.asarray(inputs[0], np.float32)
        return [np.pad(x, _pads(op, x.ndim), constant_values=0.0)]

    def eval_int8(self, op, graph, inputs):
        x = np.asarray(inputs[0], np.int8)
        return [np.pad(x, _pads(op, x.ndim), constant_values=_zero_point(op, graph))]

    def quantize(self, op, graph, ranges):
        share_quant(graph, op.inputs[0], op.outputs[0])

    def lower(self, op, graph, target):
        shape = graph.tensor(op.inputs[0]).shape
        if len(shape) > MAX_RANK:
            raise UnsupportedError(f"op {op.name!r}: pad of a rank-{len(shape)} tensor (at most {MAX_RANK})")
        lead = MAX_RANK - len(shape)
        dims = (1,) * lead + tuple(shape)
        pads = ((0, 0),) * lead + _pads(op, len(shape))
        params = {"pad_value": _zero_point(op, graph)}
        for axis, (d, (before, after)) in zip("nhwc", zip(dims, pads)):
            params.update({f"in_{axis}": d, f"{axis}_before": before, f"{axis}_after": after})
        kernel = "mnc_pad_s8"
        return KernelCall(kernel=kernel, sources=[f"{kernel}.c", f"{kernel}.h"],
                          params_type="mnc_pad_params_t", params=params,
                          inputs=[op.inputs[0]], outputs=[op.outputs[0]])


def _pads(op, rank: int) -> tuple[tuple[int, int], ...]:
    pads = tuple((int(a), int(b)) for a, b in op.attrs["pads"])
    if len(pads) != rank or any(a < 0 or b < 0 for a, b in pads):
        raise ModelError(f"op {op.name!r}: pads {pads} must give (before, after) >= 0 for each of {rank} dims")
    return pads


def _zero_point(op, graph) -> int:
    q = graph.tensor(op.inputs[0]).quant
    if q is None or q.zero_point.size != 1:
        raise ModelError(f"op {op.name!r}: int8 pad needs a per-tensor quantized input")
    return int(q.zero_point[0])


register(Pad())
