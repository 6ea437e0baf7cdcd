"""mnc_pad_s8: constant padding of an int8 tensor of rank <= 4 with its zero point (real 0)."""

from __future__ import annotations

from dataclasses import dataclass

from mnc.kernels.base import KernelDescriptor, Params
from mnc.ops.pad import MAX_RANK, pad_value, pads_of


@dataclass(frozen=True)
class PadParams(Params):
    pad_value: int
    in_n: int
    n_before: int
    n_after: int
    in_h: int
    h_before: int
    h_after: int
    in_w: int
    w_before: int
    w_after: int
    in_c: int
    c_before: int
    c_after: int


class Pad(KernelDescriptor):
    name = "mnc_pad_s8"
    params_type = PadParams


    def params(self, op, graph):
        shape = graph.tensor(op.inputs[0]).shape
        lead = MAX_RANK - len(shape)
        dims = (1,) * lead + tuple(shape)
        pads = ((0, 0),) * lead + pads_of(op, len(shape))
        fields = {"pad_value": pad_value(op, graph)}
        for axis, (d, (before, after)) in zip("nhwc", zip(dims, pads)):
            fields.update({f"in_{axis}": d, f"{axis}_before": before, f"{axis}_after": after})
        return PadParams(**fields)


KERNEL = Pad()
