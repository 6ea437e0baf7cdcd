"""mnc_lut_mve_s8: the int8 -> int8 table of mnc_lut_s8 (hard-swish, sigmoid, ...) on Helium, 16
lookups per gather load."""

from __future__ import annotations

from mnc.kernels.lut import Lut


class LutMve(Lut):
    name = "mnc_lut_mve_s8"
    extra_sources = ()
    feature = "mve"


KERNEL = LutMve()
