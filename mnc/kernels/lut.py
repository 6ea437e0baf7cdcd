"""mnc_lut_s8: any int8 -> int8 elementwise function as a 256-entry table, computed at compile time by
running the op's own int8 reference on every input value (bit-exact by construction)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnc.kernels.base import COMMON_HEADER, KernelDescriptor, Params, array
from mnc.kernels.call import ConstArray
from mnc.ops import get_op

ALL_INT8 = np.arange(-128, 128, dtype=np.int8)


@dataclass(frozen=True)
class LutParams(Params):
    size: int
    lut: object = array("int8_t")


class Lut(KernelDescriptor):
    name = "mnc_lut_s8"
    params_type = LutParams
    extra_sources = (COMMON_HEADER,)


    def params(self, op, graph):
        table = get_op(op.kind).eval_int8(op, graph, [ALL_INT8])[0]
        return LutParams(size=graph.tensor(op.inputs[0]).size, lut=ConstArray("lut", "int8_t", table))


KERNEL = Lut()
