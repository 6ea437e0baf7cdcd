"""Fixed-point arithmetic of the TFLite int8 specification, vectorized over numpy arrays.

Shift convention (one for the whole code base): a *signed* shift where positive means
"multiply by 2**shift" (left) and negative means "divide by 2**-shift, rounding" (right),
exactly as TFLite's `QuantizeMultiplier` returns it. A quantized multiplier `(q, shift)`
represents the real number q * 2**(shift - 31).

Rounding is half away from zero everywhere TFLite uses std::round; integer helpers
reproduce C's int32 semantics (wrap-around multiply, truncating division) with int64 math.
"""

from __future__ import annotations

import math

import numpy as np

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1


def round_half_away(x):
    """std::round: halves go away from zero (numpy's round goes to even)."""
    x = np.asarray(x, dtype=np.float64)
    return np.trunc(x + np.copysign(0.5, x))


def quantize_multiplier(real: float) -> tuple[int, int]:
    """TFLite QuantizeMultiplier: real -> (q31 multiplier, signed shift)."""
    if real == 0.0:
        return 0, 0
    frac, shift = math.frexp(real)
    q = int(round_half_away(frac * (1 << 31)))
    if q == 1 << 31:
        q //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    if shift > 30:
        return INT32_MAX, 30
    return q, shift


def quantize_multiplier_smaller_than_one(real: float) -> tuple[int, int]:
    """TFLite QuantizeMultiplierSmallerThanOneExp: same as above, for 0 < real < 1 (shift <= 0)."""
    assert 0.0 < real < 1.0, real
    return quantize_multiplier(real)


def _wrap32(x: np.ndarray) -> np.ndarray:
    return ((x.astype(np.int64) + 2**31) % 2**32 - 2**31).astype(np.int64)


def _c_div_pow2_31(x: np.ndarray) -> np.ndarray:
    """C-style int64 division by 2**31 (truncates toward zero)."""
    return np.where(x >= 0, x >> 31, -((-x) >> 31))


def saturating_rounding_doubling_high_mul(a, b) -> np.ndarray:
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    ab = a * b
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    result = _c_div_pow2_31(ab + nudge)
    overflow = (a == INT32_MIN) & (b == INT32_MIN)
    return np.where(overflow, INT32_MAX, result).astype(np.int64)


def rounding_divide_by_pot(x, exponent) -> np.ndarray:
    """Arithmetic right shift rounding half away from zero; `exponent` >= 0."""
    x = np.asarray(x, dtype=np.int64)
    exponent = np.asarray(exponent, dtype=np.int64)
    mask = (np.int64(1) << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + (remainder > threshold)


def multiply_by_quantized_multiplier(x, multiplier, shift) -> np.ndarray:
    """TFLite MultiplyByQuantizedMultiplier (the double-rounding reference variant)."""
    shift = np.asarray(shift, dtype=np.int64)
    left = np.maximum(shift, 0)
    right = np.maximum(-shift, 0)
    shifted = _wrap32(np.asarray(x, dtype=np.int64) * (np.int64(1) << left))
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted, multiplier), right)


def multiply_by_quantized_multiplier_smaller_than_one(x, multiplier, shift) -> np.ndarray:
    """TFLite MultiplyByQuantizedMultiplierSmallerThanOneExp; `shift` <= 0."""
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(x, multiplier), -np.asarray(shift))


def activation_range(act: str, scale: float, zero_point: int, dtype: str = "int8") -> tuple[int, int]:
    """TFLite CalculateActivationRangeQuantized for a fused activation ('none', 'relu', 'relu6', 'relu_n1_to_1')."""
    info = np.iinfo(dtype)
    scale32 = np.float32(scale)

    def q(f: float) -> int:
        return zero_point + int(round_half_away(np.float32(f) / scale32))

    lo, hi = info.min, info.max
    if act == "relu":
        lo = max(lo, q(0.0))
    elif act == "relu6":
        lo, hi = max(lo, q(0.0)), min(hi, q(6.0))
    elif act == "relu_n1_to_1":
        lo, hi = max(lo, q(-1.0)), min(hi, q(1.0))
    elif act != "none":
        raise ValueError(f"unknown fused activation {act!r}")
    return int(lo), int(hi)


def saturate(x, dtype: str = "int8") -> np.ndarray:
    info = np.iinfo(dtype)
    return np.clip(np.asarray(x, dtype=np.int64), info.min, info.max).astype(dtype)
