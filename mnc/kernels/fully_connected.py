"""mnc_fully_connected_s8: portable fully connected layer (per-tensor or per-channel weights)."""

from __future__ import annotations

from dataclasses import dataclass

from mnc.kernels import conv_fields as cf
from mnc.kernels.base import KernelDescriptor, Params, array


@dataclass(frozen=True)
class FullyConnectedParams(Params):
    in_size: int
    out_size: int
    input_offset: int
    output_offset: int
    act_min: int
    act_max: int
    weights: object = array("int8_t")
    bias: object = array("int32_t")
    multiplier: object = array("int32_t")
    shift: object = array("int32_t")


class FullyConnected(KernelDescriptor):
    name = "mnc_fully_connected_s8"
    params_type = FullyConnectedParams

    def params(self, op, graph):
        o, n = graph.tensor(op.inputs[1]).shape
        return FullyConnectedParams(in_size=n, out_size=o,
                                    **cf.portable_stage_fields(cf.stage(op, graph), cf.weights(graph, op)))


KERNEL = FullyConnected()
