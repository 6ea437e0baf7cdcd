/* Shared int8 arithmetic of the TFLite specification (double-rounding reference variant).
 * Shift convention: a signed shift, positive = left, as returned by TFLite's QuantizeMultiplier;
 * (multiplier, shift) stands for multiplier * 2^(shift - 31). */
#ifndef MNC_COMMON_H
#define MNC_COMMON_H

#include <stdint.h>

#define MNC_MAX(a, b) ((a) > (b) ? (a) : (b))
#define MNC_MIN(a, b) ((a) < (b) ? (a) : (b))

static inline int32_t mnc_srdhm(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    const int64_t ab = (int64_t)a * (int64_t)b;
    const int64_t nudge = ab >= 0 ? (1LL << 30) : (1 - (1LL << 30));
    return (int32_t)((ab + nudge) / (1LL << 31));
}

static inline int32_t mnc_rounding_divide_by_pot(int32_t x, int32_t exponent)
{
    const int32_t mask = (int32_t)((1LL << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* TFLite MultiplyByQuantizedMultiplier. */
static inline int32_t mnc_requantize(int32_t x, int32_t multiplier, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    return mnc_rounding_divide_by_pot(mnc_srdhm((int32_t)((uint32_t)x << left), multiplier), right);
}

static inline int8_t mnc_clamp_s8(int32_t x, int32_t lo, int32_t hi)
{
    return (int8_t)MNC_MIN(MNC_MAX(x, lo), hi);
}

#endif
