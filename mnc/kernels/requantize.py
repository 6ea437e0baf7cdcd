"""mnc_requantize_s8: int8 -> int8 with a different scale or zero point (TFLite's reference Requantize)."""

from __future__ import annotations

from dataclasses import dataclass

from mnc.kernels.base import COMMON_HEADER, YES, KernelDescriptor, Params, no
from mnc.ops.quantize_ops import requantize_params


@dataclass(frozen=True)
class RequantizeParams(Params):
    size: int
    input_zp: int
    output_zp: int
    multiplier: int
    shift: int


class Requantize(KernelDescriptor):
    name = "mnc_requantize_s8"
    params_type = RequantizeParams
    extra_sources = (COMMON_HEADER,)

    def check(self, op, graph):
        if not _constants(op, graph)["requantize"]:
            return no("input and output quantization are equal: nothing to compute")
        return YES

    def params(self, op, graph):
        p = _constants(op, graph)
        return RequantizeParams(size=graph.tensor(op.inputs[0]).size, input_zp=p["input_zp"],
                                output_zp=graph.tensor(op.outputs[0]).quant.single()[1],
                                multiplier=p["multiplier"], shift=p["shift"])


def _constants(op, graph) -> dict[str, int]:
    return requantize_params(graph.tensor(op.inputs[0]).quant.single(), graph.tensor(op.outputs[0]).quant.single())


KERNEL = Requantize()
