"""Constant layouts of the DSP-extension (ACLE SIMD) kernels, computed at compile time.

Layouts and the fast requantization are described in templates/kernels/mnc_gemm_dsp_s8.h and
mnc_requant_dsp_s8.h. Weights stay int8 (GEMM: 4 per word, unpacked with SXTB16; depthwise: the
IR layout itself). Per channel: {bias, multiplier} int32 and an int8 (right shift - 1).
"""

from __future__ import annotations

import numpy as np

from mnc import quant
from mnc.kernels.call import ConstArray

DSP_FAST_ACC_LIMIT = 2**29   # |acc| below this: SMMULR(2 * acc) and the cheap rounding cannot overflow
_HALF = 1 << 30              # multiplier 0.5: see constant_channels


def dsp_gemm_weights(w2d: np.ndarray) -> np.ndarray:
    """[O, K] int8 -> int32 words laid out [ceil(O/2)][ceil(K/4)][2 channels] (4 int8 per word, little
    endian), zero padded: the order mnc_dsp_dot_2x2/1x2 stream them in."""
    o, k = w2d.shape
    groups = -(-k // 4)
    padded = np.zeros((o + (o & 1), groups * 4), np.int8)
    padded[:o, :k] = w2d
    blocks = padded.reshape(-1, 2, groups, 4).transpose(0, 2, 1, 3)
    return np.ascontiguousarray(blocks).view("<i4").reshape(-1)


def dsp_fast_requant(acc_bound: np.ndarray, shift: np.ndarray) -> bool:
    """True when the DSP fast requantization equals TFLite's for every reachable accumulator:
    every right shift in [1, 31] and |acc| < 2^29 (see mnc_requant_dsp_s8.h)."""
    shift = np.asarray(shift, np.int64)
    return bool(np.all(shift <= -1) and np.all(shift >= -31)
                and np.max(np.asarray(acc_bound, np.int64), initial=0) < DSP_FAST_ACC_LIMIT)


def constant_channels(bias: np.ndarray, w2d: np.ndarray, stage: dict
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(bias, multiplier, shift) with every channel whose weights are all zero (pruned filters: their
    output is a constant) rewritten to {4 * v, 0.5, right shift 1}, v = constant - zero point. Both
    requantization paths map that accumulator to exactly v, and the tiny scales and huge biases of such
    channels no longer rule out the fast path for the whole layer."""
    bias = np.asarray(bias, np.int64).copy()
    mult = np.asarray(stage["multiplier"], np.int64).copy()
    shift = np.asarray(stage["shift"], np.int64).copy()
    dead = ~np.any(w2d != 0, axis=1)
    if np.any(dead):
        lo, hi = stage["act_range"]
        zp = stage["output_offset"]
        out = np.clip(quant.multiply_by_quantized_multiplier(bias[dead], mult[dead], shift[dead]) + zp, lo, hi)
        bias[dead], mult[dead], shift[dead] = 4 * (out - zp), _HALF, -1
    return bias, mult, shift


def dsp_quant_arrays(bias: np.ndarray, mult: np.ndarray, shift: np.ndarray, pad_to: int) -> dict:
    """`quant` ({bias, multiplier} int32 per channel) and `shift` (int8 right shift - 1), padded with
    zero channels to a multiple of `pad_to`."""
    n = len(bias)
    padded = -(-n // pad_to) * pad_to
    records = np.zeros((padded, 2), np.int64)
    records[:n, 0], records[:n, 1] = bias, mult
    shifts = np.zeros(padded, np.int64)
    shifts[:n] = -np.asarray(shift, np.int64) - 1
    return {"quant": ConstArray("quant", "int32_t", records.reshape(-1)),
            "shift": ConstArray("shift", "int8_t", shifts)}


def folded_acc_bound(bias_folded: np.ndarray, w2d: np.ndarray) -> np.ndarray:
    """Largest |acc| per channel of sum x * w + bias_folded over int8 inputs x."""
    return np.abs(bias_folded.astype(np.int64)) + 128 * np.abs(w2d.astype(np.int64)).sum(axis=1)


def dsp_gemm_params(bias_folded: np.ndarray, w2d: np.ndarray, stage: dict) -> dict:
    """The fields every DSP GEMM kernel shares: groups, output stage, weights and quant arrays."""
    bias, mult, shift = constant_channels(bias_folded, w2d, stage)
    fast = dsp_fast_requant(folded_acc_bound(bias, w2d), shift)
    return {
        "groups": gemm_groups(w2d),
        "output_offset": stage["output_offset"],
        "act_min": stage["act_range"][0], "act_max": stage["act_range"][1],
        "fast_requant": int(fast),
        "weights": ConstArray("weights", "int32_t", dsp_gemm_weights(w2d)),
        **dsp_quant_arrays(bias, mult, shift, 2),
    }


DSP_GEMM_SOURCES = ("mnc_requant_dsp_s8.h", "mnc_gemm_dsp_s8.h")


def round4(n: int) -> int:
    """Scratch sizes are rounded up to whole words: the kernels access them as int32."""
    return (n + 3) // 4 * 4


def gemm_groups(w2d: np.ndarray) -> int:
    """Words of 4 int8 per output channel's reduction (zero padded)."""
    return -(-w2d.shape[1] // 4)
