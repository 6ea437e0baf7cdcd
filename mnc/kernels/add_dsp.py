"""mnc_add_dsp_s8: int8 Add with broadcasting (TFLite's reference) with the DSP extension's fast exact
requantization where the shifts allow it, row by row (mnc/kernels/elementwise_rows.py)."""

from __future__ import annotations

from mnc.kernels.add import AddParams
from mnc.kernels.elementwise_rows import RowKernel


class AddDsp(RowKernel):
    name = "mnc_add_dsp_s8"
    params_type = AddParams
    extra_sources = RowKernel.extra_sources + ("mnc_requant_dsp_s8.h",)
    feature = "dsp"


KERNEL = AddDsp()
