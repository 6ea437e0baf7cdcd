"""mnc_mean_s8: int8 mean over H and W of a [1, H, W, C] tensor (TFLite's QuantizedMeanOrSum)."""

from __future__ import annotations

from dataclasses import dataclass

from mnc.kernels.base import COMMON_HEADER, KernelDescriptor, Params
from mnc.ops.mean import mean_params


@dataclass(frozen=True)
class MeanParams(Params):
    count: int
    channels: int
    input_zp: int
    output_zp: int
    multiplier: int
    shift: int


class Mean(KernelDescriptor):
    name = "mnc_mean_s8"
    params_type = MeanParams
    extra_sources = (COMMON_HEADER,)


    def params(self, op, graph):
        x = graph.tensor(op.inputs[0])
        in_q, out_q = x.quant.single(), graph.tensor(op.outputs[0]).quant.single()
        count = x.shape[1] * x.shape[2]
        return MeanParams(count=count, channels=x.shape[3], input_zp=in_q[1], output_zp=out_q[1],
                          **mean_params(in_q, out_q, count))


KERNEL = Mean()
