"""mnc_concat_s8: concatenation of two int8 tensors along one axis, each requantized to the output's
quantization when it differs (TFLite's reference Concatenation)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnc.kernels.base import COMMON_HEADER, KernelDescriptor, Params
from mnc.ops import get_op
from mnc.ops.quantize_ops import requantize_params


@dataclass(frozen=True)
class ConcatParams(Params):
    outer: int
    in0_chunk: int
    in0_requantize: int
    in0_zp: int
    in0_multiplier: int
    in0_shift: int
    in1_chunk: int
    in1_requantize: int
    in1_zp: int
    in1_multiplier: int
    in1_shift: int
    output_zp: int


class Concat(KernelDescriptor):
    name = "mnc_concat_s8"
    params_type = ConcatParams
    extra_sources = (COMMON_HEADER,)


    def params(self, op, graph):
        out = graph.tensor(op.outputs[0])
        outer = int(np.prod(out.shape[:get_op(op.kind).concat_axis(op, graph)], dtype=np.int64))
        out_q = out.quant.single()
        fields = {"outer": outer}
        for k, name in enumerate(op.inputs):
            t = graph.tensor(name)
            p = requantize_params(t.quant.single(), out_q)
            fields.update({f"in{k}_chunk": t.size // outer, f"in{k}_requantize": p["requantize"],
                           f"in{k}_zp": p["input_zp"], f"in{k}_multiplier": p["multiplier"],
                           f"in{k}_shift": p["shift"]})
        return ConcatParams(**fields, output_zp=out_q[1])

    def inputs(self, op):
        return list(op.inputs)


KERNEL = Concat()
