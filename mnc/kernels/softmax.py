"""mnc_softmax_s8: int8 softmax over the last axis (TFLite's reference, fixed-point exp)."""

from __future__ import annotations

from dataclasses import dataclass

from mnc.kernels.base import COMMON_HEADER, KernelDescriptor, Params
from mnc.ops import get_op


@dataclass(frozen=True)
class SoftmaxParams(Params):
    outer: int
    depth: int
    input_multiplier: int
    input_left_shift: int
    diff_min: int


class Softmax(KernelDescriptor):
    name = "mnc_softmax_s8"
    params_type = SoftmaxParams
    extra_sources = (COMMON_HEADER,)

    def params(self, op, graph):
        x = graph.tensor(op.inputs[0])
        depth = x.shape[-1]
        return SoftmaxParams(outer=x.size // depth, depth=depth, **get_op(op.kind).constants(op, graph))


KERNEL = Softmax()
