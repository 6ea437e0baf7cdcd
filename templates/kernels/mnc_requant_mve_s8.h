/* Helpers shared by the Helium (MVE, Cortex-M55/M85) kernels: TFLite's double-rounding
 * MultiplyByQuantizedMultiplier on four int32 lanes, bit for bit.
 *
 * Why it is exact:
 * - SaturatingRoundingDoublingHighMul(a, b) == VQRDMULH(a, b): TFLite rounds the 2^31 division half
 *   away from zero with a nudge of 2^30 or 1 - 2^30 and truncation; VQRDMULH computes
 *   floor((2ab + 2^31) / 2^32). For ab >= 0 both are floor((ab + 2^30) / 2^31); for ab = -n < 0
 *   TFLite gives -floor((n + 2^30 - 1) / 2^31) and VQRDMULH -ceil((n - 2^30) / 2^31), the same
 *   integer. Both saturate INT32_MIN * INT32_MIN to INT32_MAX.
 * - RoundingDivideByPOT rounds half away from zero, VRSHL (negative shift) half up: they differ
 *   only for negative x, so x - 1 (saturating) is shifted instead when x < 0 and the shift is >= 1
 *   (gemmlowp's NEON fix-up). x = INT32_MIN stays put and still gives INT32_MIN >> e exactly.
 * - The left shift wraps (VSHL), like TFLite's x * (1 << left) on two's complement.
 * Shift amounts: left in [0, 30], neg_right = -right in [-31, 0] (TFLite's range). */
#ifndef MNC_REQUANT_MVE_S8_H
#define MNC_REQUANT_MVE_S8_H

#include <arm_mve.h>
#include <stdint.h>

#include "mnc_common.h"

#if !defined(__ARM_FEATURE_MVE)
#error "mnc *_mve_s8 kernels need a core with Helium (MVE), e.g. Cortex-M55 with -mfloat-abi=hard or softfp"
#endif

/* 16 bytes at *p, then *p += 16: GCC 12 does not use MVE's post-increment addressing itself and
 * spends an address computation per load instead. The "m" operand tells it which bytes are read. */
static inline int8x16_t mnc_mve_load16_post(const int8_t **p)
{
    int8x16_t v;
    __asm__("vldrb.8 %q0, [%1], #16" : "=w"(v), "+r"(*p) : "m"(*(const int8_t (*)[16]) * p));
    return v;
}

/* 8 bytes at *p sign-extended to int16 lanes, then *p += 8 (widening loads take r0-r7 only). */
static inline int16x8_t mnc_mve_load8_s16_post(const int8_t **p)
{
    int16x8_t v;
    __asm__("vldrb.s16 %q0, [%1], #8" : "=w"(v), "+l"(*p) : "m"(*(const int8_t (*)[8]) * p));
    return v;
}

/* Per-lane parameters (per-channel quantization, channels in lanes). */
static inline int32x4_t mnc_mve_requantize(int32x4_t acc, int32x4_t mult, int32x4_t left, int32x4_t neg_right)
{
    const int32x4_t high = vqrdmulhq_s32(vshlq_s32(acc, left), mult);
    const int32x4_t fixup = vshrq_n_s32(vandq_s32(high, neg_right), 31);   /* -1 iff high < 0 and right >= 1 */
    return vrshlq_s32(vqaddq_s32(high, fixup), neg_right);
}

/* One set of parameters for all four lanes (one channel, four pixels). */
static inline int32x4_t mnc_mve_requantize_n(int32x4_t acc, int32_t mult, int32_t left, int32_t neg_right)
{
    int32x4_t high = vqrdmulhq_n_s32(vshlq_r_s32(acc, left), mult);
    if (neg_right < 0) {
        high = vqaddq_s32(high, vshrq_n_s32(high, 31));
    }
    return vrshlq_n_s32(high, neg_right);
}

/* The same when every lane shifts right by >= 1 and none left (the usual case: multipliers < 0.5). */
static inline int32x4_t mnc_mve_requantize_right(int32x4_t acc, int32x4_t mult, int32x4_t neg_right)
{
    const int32x4_t high = vqrdmulhq_s32(acc, mult);
    return vrshlq_s32(vqaddq_s32(high, vshrq_n_s32(high, 31)), neg_right);
}

/* Four requantized lane sets -> 16 int8 outputs in byte order, + output zero point, clamped to
 * [act_min, act_max]. Set a holds bytes 0, 4, 8, 12, set b 2, 6, 10, 14, set c 1, 5, 9, 13 and set d
 * 3, 7, 11, 15 (the lanes VMULLB/T.S8 then VMOVLB/T.S16 produce). Saturating to int16 before adding
 * the offset and to int8 after it is exact: a saturated value stays beyond the int8 range. */
static inline int8x16_t mnc_mve_output16(int32x4_t a, int32x4_t b, int32x4_t c, int32x4_t d, int32_t out_offset,
                                         int8x16_t act_min, int8x16_t act_max)
{
    int16x8_t even = vqmovntq_s32(vqmovnbq_s32(vreinterpretq_s16_s32(a), a), b);
    int16x8_t odd = vqmovntq_s32(vqmovnbq_s32(vreinterpretq_s16_s32(c), c), d);
    even = vqaddq_n_s16(even, (int16_t)out_offset);
    odd = vqaddq_n_s16(odd, (int16_t)out_offset);
    const int8x16_t y = vqmovntq_s16(vqmovnbq_s16(vreinterpretq_s8_s16(even), even), odd);
    return vminq_s8(vmaxq_s8(y, act_min), act_max);
}

/* + output zero point, clamp to the activation range. */
static inline int32x4_t mnc_mve_output(int32x4_t y, int32_t out_offset, int32x4_t act_min, int32x4_t act_max)
{
    return vminq_s32(vmaxq_s32(vaddq_n_s32(y, out_offset), act_min), act_max);
}

#endif
