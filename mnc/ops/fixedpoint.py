"""gemmlowp's fixed-point transcendental functions, vectorized over int32 numpy arrays (held in int64).

TFLite's int8 LOGISTIC and SOFTMAX reference kernels are built on these; reproducing them bit for
bit means reproducing gemmlowp's exact sequence of saturating/rounding steps. A value `x` of type
FixedPoint<int32, I> is just its raw int32; `I` integer bits, 31 - I fractional bits.
Plain `+`/`-` of fixed-point values wrap like int32 (gemmlowp does not saturate them).
"""

from __future__ import annotations

import numpy as np

from mnc.quant import INT32_MAX, INT32_MIN, rounding_divide_by_pot, saturating_rounding_doubling_high_mul

ONE_Q0 = INT32_MAX  # FixedPoint<int32, 0>::One() saturates to the largest raw value


def wrap32(x) -> np.ndarray:
    return (np.asarray(x, dtype=np.int64) + 2**31) % 2**32 - 2**31


def mul(a, b) -> np.ndarray:
    """Fixed-point product: SaturatingRoundingDoublingHighMul of the raws (integer bits add)."""
    return saturating_rounding_doubling_high_mul(a, b)


def saturating_rounding_mul_by_pot(x, exponent: int) -> np.ndarray:
    """gemmlowp SaturatingRoundingMultiplyByPOT: saturating left shift, or rounding right shift."""
    x = np.asarray(x, dtype=np.int64)
    if exponent <= 0:
        return rounding_divide_by_pot(x, -exponent)
    threshold = (1 << (31 - exponent)) - 1
    shifted = wrap32(x << exponent)
    return np.where(x > threshold, INT32_MAX, np.where(x < -threshold, INT32_MIN, shifted))


def rescale(x, src_integer_bits: int, dst_integer_bits: int) -> np.ndarray:
    return saturating_rounding_mul_by_pot(x, src_integer_bits - dst_integer_bits)


def rounding_half_sum(a, b) -> np.ndarray:
    total = np.asarray(a, dtype=np.int64) + np.asarray(b, dtype=np.int64)
    sign = np.where(total >= 0, 1, -1)
    return _c_div(total + sign, 2)


def _c_div(x: np.ndarray, d: int) -> np.ndarray:
    """C integer division (truncation toward zero)."""
    q = np.abs(x) // d
    return np.where(x < 0, -q, q)


def _exp_on_interval_between_negative_one_quarter_and_0_excl(a: np.ndarray) -> np.ndarray:
    """Q0 in, Q0 out: Taylor expansion of exp around -1/8."""
    constant_term = 1895147668          # exp(-1/8)
    constant_1_over_3 = 715827883
    x = wrap32(a + (1 << 28))           # a + 1/8
    x2 = mul(x, x)
    x3 = mul(x2, x)
    x4 = mul(x2, x2)
    x4_over_4 = saturating_rounding_mul_by_pot(x4, -2)
    poly = saturating_rounding_mul_by_pot(wrap32(mul(wrap32(x4_over_4 + x3), constant_1_over_3) + x2), -1)
    return wrap32(constant_term + mul(constant_term, wrap32(x + poly)))


# exp(-2**e) in Q0 for the barrel shifter of exp_on_negative_values, e = -2 .. 4.
_EXP_BARREL = ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308),
               (2, 39332535), (3, 720401), (4, 242))


def exp_on_negative_values(a, integer_bits: int) -> np.ndarray:
    """exp(a) for a <= 0 given in Q(integer_bits); result in Q0."""
    a = np.asarray(a, dtype=np.int64)
    fractional_bits = 31 - integer_bits
    one_quarter = 1 << (fractional_bits - 2)
    a_mod_quarter_minus_one_quarter = wrap32((a & (one_quarter - 1)) - one_quarter)
    result = _exp_on_interval_between_negative_one_quarter_and_0_excl(
        rescale(a_mod_quarter_minus_one_quarter, integer_bits, 0))
    remainder = wrap32(a_mod_quarter_minus_one_quarter - a)
    for exponent, multiplier in _EXP_BARREL:
        if integer_bits > exponent:
            bit = 1 << (fractional_bits + exponent)
            result = np.where(remainder & bit, mul(result, multiplier), result)
    if integer_bits > 5:
        clamp = -(1 << (36 - integer_bits))
        result = np.where(a < clamp, 0, result)
    return np.where(a == 0, ONE_Q0, result)


def one_over_one_plus_x_for_x_in_0_1(a) -> np.ndarray:
    """1 / (1 + a) for a in [0, 1) in Q0, by Newton-Raphson in Q2; result in Q0."""
    half_denominator = rounding_half_sum(a, ONE_Q0)
    constant_48_over_17 = 1515870810      # Q2
    constant_neg_32_over_17 = -1010580540  # Q2
    one_q2 = 1 << 29
    x = wrap32(constant_48_over_17 + mul(half_denominator, constant_neg_32_over_17))
    for _ in range(3):
        half_denominator_times_x = mul(half_denominator, x)               # Q2
        one_minus = wrap32(one_q2 - half_denominator_times_x)             # Q2
        x = wrap32(x + rescale(mul(x, one_minus), 4, 2))                  # Q4 -> Q2
    # ExactMulByPot<-1> reinterprets Q2 as Q1 (same raw); then rescale Q1 -> Q0.
    return rescale(x, 1, 0)


def logistic(a, integer_bits: int) -> np.ndarray:
    """gemmlowp logistic: Q(integer_bits) in, Q0 out."""
    a = np.asarray(a, dtype=np.int64)
    abs_a = np.where(a > 0, a, wrap32(-a))
    positive = one_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(wrap32(-abs_a), integer_bits))
    negative = wrap32(ONE_Q0 - positive)
    return np.where(a == 0, 1 << 30, np.where(a > 0, positive, negative))


def count_leading_zeros_u32(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.int64) & 0xFFFFFFFF
    bits = np.zeros_like(x)
    for shift in range(32):
        bits = np.where(x >= (np.int64(1) << shift), shift + 1, bits)
    return 32 - bits


def reciprocal(x, integer_bits: int) -> tuple[np.ndarray, np.ndarray]:
    """TFLite GetReciprocal: 1/x for x > 0 in Q(integer_bits) -> (Q0 scale, num_bits_over_unit)."""
    x = np.asarray(x, dtype=np.int64)
    headroom_plus_one = count_leading_zeros_u32(x)
    num_bits_over_unit = integer_bits - headroom_plus_one
    shifted_sum_minus_one = wrap32(((x << headroom_plus_one) & 0xFFFFFFFF) - (1 << 31))
    return one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one), num_bits_over_unit
