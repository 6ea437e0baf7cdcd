"""mnc_add_mve_s8: int8 addition with broadcasting on Helium, four elements per step along the
innermost axis (each input contiguous or broadcast along it)."""

from __future__ import annotations

from mnc.kernels.add import AddParams
from mnc.kernels.broadcast import HeliumBinaryKernel


class AddMve(HeliumBinaryKernel):
    name = "mnc_add_mve_s8"
    params_type = AddParams


KERNEL = AddMve()
