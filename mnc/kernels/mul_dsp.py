"""mnc_mul_dsp_s8: int8 Mul with broadcasting (TFLite's reference) with the DSP extension's fast exact
requantization, row by row (mnc/kernels/elementwise_rows.py)."""

from __future__ import annotations

from mnc.kernels.elementwise_rows import RowKernel
from mnc.kernels.mul import MulParams


class MulDsp(RowKernel):
    name = "mnc_mul_dsp_s8"
    params_type = MulParams
    extra_sources = RowKernel.extra_sources + ("mnc_requant_dsp_s8.h",)
    feature = "dsp"


KERNEL = MulDsp()
