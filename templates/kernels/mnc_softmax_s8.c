#include "mnc_softmax_s8.h"
#include "mnc_common.h"

/* gemmlowp fixed point, reproduced step by step so the result matches TFLite's reference bit for bit.
 * A value in Qn is a raw int32 with n integer bits; fixed-point + and - wrap like gemmlowp's. */

#define SCALED_DIFF_INTEGER_BITS 5
#define ACCUMULATION_INTEGER_BITS 12

static inline int32_t wrap_add(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

static inline int32_t wrap_sub(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a - (uint32_t)b);
}

/* SaturatingRoundingMultiplyByPOT with a positive exponent: saturating left shift. */
static inline int32_t saturating_shift_left(int32_t x, int32_t exponent)
{
    const int32_t threshold = (int32_t)((1U << (31 - exponent)) - 1U);
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return (int32_t)((uint32_t)x << exponent);
}

/* exp(a) for a in [-1/4, 0), Q0 -> Q0: Taylor expansion around -1/8. */
static int32_t exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a)
{
    const int32_t constant_term = 1895147668;
    const int32_t constant_1_over_3 = 715827883;
    const int32_t x = wrap_add(a, 1 << 28);
    const int32_t x2 = mnc_srdhm(x, x);
    const int32_t x3 = mnc_srdhm(x2, x);
    const int32_t x4 = mnc_srdhm(x2, x2);
    const int32_t x4_over_4 = mnc_rounding_divide_by_pot(x4, 2);
    const int32_t poly = mnc_rounding_divide_by_pot(
        wrap_add(mnc_srdhm(wrap_add(x4_over_4, x3), constant_1_over_3), x2), 1);
    return wrap_add(constant_term, mnc_srdhm(constant_term, wrap_add(x, poly)));
}

/* exp(a) for a <= 0 in Q5 (SCALED_DIFF_INTEGER_BITS), result in Q0. */
static int32_t exp_on_negative_values_q5(int32_t a)
{
    static const int32_t barrel[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
    const int32_t fractional_bits = 31 - SCALED_DIFF_INTEGER_BITS;
    const int32_t one_quarter = 1 << (fractional_bits - 2);
    const int32_t a_mod_quarter_minus_one_quarter = wrap_sub(a & (one_quarter - 1), one_quarter);
    int32_t result = exp_on_interval_between_negative_one_quarter_and_0_excl(
        saturating_shift_left(a_mod_quarter_minus_one_quarter, SCALED_DIFF_INTEGER_BITS));
    const int32_t remainder = wrap_sub(a_mod_quarter_minus_one_quarter, a);
    for (int32_t k = 0; k < 7; ++k) {   /* exponents -2 .. 4, all below the 5 integer bits */
        if (remainder & (1 << (fractional_bits - 2 + k))) {
            result = mnc_srdhm(result, barrel[k]);
        }
    }
    return a == 0 ? INT32_MAX : result;
}

/* 1 / (1 + a) for a in [0, 1) in Q0, Newton-Raphson in Q2; result in Q0. */
static int32_t one_over_one_plus_x_for_x_in_0_1(int32_t a)
{
    const int64_t sum = (int64_t)a + INT32_MAX;
    const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
    const int32_t constant_48_over_17 = 1515870810;
    const int32_t constant_neg_32_over_17 = -1010580540;
    int32_t x = wrap_add(constant_48_over_17, mnc_srdhm(half_denominator, constant_neg_32_over_17));
    for (int32_t i = 0; i < 3; ++i) {
        const int32_t one_minus = wrap_sub(1 << 29, mnc_srdhm(half_denominator, x));
        x = wrap_add(x, saturating_shift_left(mnc_srdhm(x, one_minus), 2));
    }
    return saturating_shift_left(x, 1);
}

static int32_t count_leading_zeros(uint32_t x)
{
    int32_t n = 32;
    while (x != 0U) {
        x >>= 1;
        --n;
    }
    return n;
}

static inline int32_t scaled_diff(const mnc_softmax_params_t *p, int32_t diff)
{
    return mnc_srdhm(diff * (1 << p->input_left_shift), p->input_multiplier);
}

static void softmax_row(const mnc_softmax_params_t *p, const int8_t *in, int8_t *out)
{
    int32_t max_in_row = INT8_MIN;
    for (int32_t c = 0; c < p->depth; ++c) {
        max_in_row = MNC_MAX(max_in_row, (int32_t)in[c]);
    }
    int32_t sum_of_exps = 0;   /* Q12 */
    for (int32_t c = 0; c < p->depth; ++c) {
        const int32_t diff = (int32_t)in[c] - max_in_row;
        if (diff >= p->diff_min) {
            const int32_t e = exp_on_negative_values_q5(scaled_diff(p, diff));
            sum_of_exps = wrap_add(sum_of_exps, mnc_rounding_divide_by_pot(e, ACCUMULATION_INTEGER_BITS));
        }
    }
    /* GetReciprocal: normalise the sum to [1, 2) and invert it. */
    const int32_t headroom_plus_one = count_leading_zeros((uint32_t)sum_of_exps);
    const int32_t bits_over_unit = ACCUMULATION_INTEGER_BITS - headroom_plus_one;
    const int32_t shifted_sum_minus_one =
        (int32_t)(((uint32_t)sum_of_exps << headroom_plus_one) - (1U << 31));
    const int32_t shifted_scale = one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one);
    for (int32_t c = 0; c < p->depth; ++c) {
        const int32_t diff = (int32_t)in[c] - max_in_row;
        if (diff >= p->diff_min) {
            const int32_t e = exp_on_negative_values_q5(scaled_diff(p, diff));
            const int32_t unsat = mnc_rounding_divide_by_pot(mnc_srdhm(shifted_scale, e), bits_over_unit + 31 - 8);
            out[c] = mnc_clamp_s8(unsat - 128, INT8_MIN, INT8_MAX);
        } else {
            out[c] = INT8_MIN;
        }
    }
}

void mnc_softmax_s8(const mnc_softmax_params_t *p, const int8_t *in, int8_t *out)
{
    for (int32_t r = 0; r < p->outer; ++r) {
        softmax_row(p, in + r * p->depth, out + r * p->depth);
    }
}
