"""Constant layouts of the ARMv7-M plain-C kernels (*_v7m_s8, for cores with 32x32->64 long multiplies
but no DSP extension, such as Cortex-M3), computed at compile time.

Layouts and arithmetic are described in templates/kernels/mnc_gemm_v7m_s8.h and mnc_requant_v7m_s8.h:
two output channels share one int32 weight word (w[o0] + w[o1] * 2^24) so one SMLAL does two MACs, and
each channel has one record {bias with the input offset folded in, multiplier, shift}. The short
requantization is used only where packing_dsp.dsp_fast_requant proves it equal to TFLite's.
"""

from __future__ import annotations

import numpy as np

from mnc.kernels.base import YES, Verdict, no
from mnc.kernels.call import ConstArray
from mnc.kernels.packing_dsp import constant_channels, dsp_fast_requant, folded_acc_bound

V7M_FEATURE = "v7m"
REQUANT_HEADER = "mnc_requant_v7m_s8.h"
GEMM_SOURCES = (REQUANT_HEADER, "mnc_gemm_v7m_s8.h")
PACK_SHIFT = 24                      # the second channel of a weight word starts at bit 24
PACK_LIMIT = 1 << (PACK_SHIFT - 1)   # |sum x * w| of the low channel must stay below this


def pack_channel_pairs(w2d: np.ndarray) -> np.ndarray | None:
    """[O, K] int8 -> [ceil(O/2), K] int32 words w[2p][k] + w[2p+1][k] * 2^24, or None when a word does
    not fit int32 (a -128 weight above a negative one) or a low channel's sum could leave 24 bits
    (128 * sum |w| >= 2^23: the low field would carry into the high one)."""
    o, k = w2d.shape
    w = np.zeros((o + (o & 1), k), np.int64)
    w[:o] = w2d
    low, high = w[0::2], w[1::2]
    words = low + high * (1 << PACK_SHIFT)
    if words.min(initial=0) < -(2**31) or words.max(initial=0) >= 2**31:
        return None
    if 128 * np.abs(low).sum(axis=1).max(initial=0) >= PACK_LIMIT:
        return None
    return words.astype(np.int32).reshape(-1)


def packable(w2d: np.ndarray) -> Verdict:
    if pack_channel_pairs(w2d) is None:
        return no("weights do not pack two channels per word (a -128 above a negative weight, "
                  "or 128 * sum |w| of a channel reaches 2^23)")
    return YES


def v7m_stage_params(bias_folded: np.ndarray, w2d: np.ndarray, stage: dict) -> dict:
    """The output-stage fields every v7m params struct shares: offsets, clamp, the fast-requantization
    flag and the per-channel {bias, multiplier, shift} records."""
    bias, mult, shift = constant_channels(bias_folded, w2d, stage)
    fast = dsp_fast_requant(folded_acc_bound(bias, w2d), shift)
    records = np.stack([bias, mult, shift], axis=1).astype(np.int32).reshape(-1)
    return {"output_offset": stage["output_offset"], "act_min": stage["act_range"][0],
            "act_max": stage["act_range"][1], "fast_requant": int(fast),
            "quant": ConstArray("quant", "int32_t", records)}
