"""mnc_mul_mve_s8: int8 multiplication with broadcasting on Helium ([1,H,W,C] * [1,1,1,C] for
squeeze-and-excite), four elements per step along the innermost axis."""

from __future__ import annotations

from mnc.kernels.broadcast import HeliumBinaryKernel
from mnc.kernels.mul import MulParams


class MulMve(HeliumBinaryKernel):
    name = "mnc_mul_mve_s8"
    params_type = MulParams


KERNEL = MulMve()
