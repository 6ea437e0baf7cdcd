/* Helpers shared by the DSP-extension (ARMv7E-M / ARMv8-M Mainline) kernels: SIMD unpacking of int8
 * words and a fast requantization that is bit-exact with TFLite's under conditions Python checks at
 * compile time (see the DSP section of mnc/ops/conv_common.py). */
#ifndef MNC_REQUANT_DSP_S8_H
#define MNC_REQUANT_DSP_S8_H

#include <arm_acle.h>
#include <stdint.h>
#include <string.h>

#include "mnc_common.h"

#if !defined(__ARM_FEATURE_DSP)
#error "mnc *_dsp_s8 kernels need a core with the DSP extension (Cortex-M4/M7/M33/M55)"
#endif

/* Per output channel record in the `quant` arrays: bias (int32), multiplier, right shift (-TFLite
 * shift), rounding constant 1 << (right - 1) (fast path only). */
#define MNC_DSP_QUANT_FIELDS 4

/* Bytes 1 and 3 of x sign-extended to two int16 lanes (GCC 12 does not fold a rotate into SXTB16). */
static inline int32_t mnc_sxtb16_hi(uint32_t x)
{
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}

/* (a * b + 2^31) >> 32: SMMULR, which GCC does not emit from C. */
static inline int32_t mnc_smmulr(int32_t a, int32_t b)
{
    int32_t r;
    __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

static inline uint32_t mnc_load_u32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));   /* one LDR: these cores allow unaligned word loads */
    return v;
}

/* TFLite MultiplyByQuantizedMultiplier for a right shift >= 1 and |acc| < 2^29 (both proven at
 * compile time): SaturatingRoundingDoublingHighMul(acc, m) == SMMULR(2 * acc, m), then the rounding
 * divide by 2^right (half away from zero) as (h - (h < 0) + 2^(right-1)) >> right, overflow-free. */
static inline int32_t mnc_dsp_requantize_fast(int32_t acc, const int32_t *q)
{
    const int32_t h = mnc_smmulr(acc * 2, q[1]);
    return (h + (h >> 31) + q[3]) >> q[2];
}

/* Accumulator (bias already included) -> int8 output, fast or exact general path. */
static inline int8_t mnc_dsp_output(int32_t acc, const int32_t *q, int32_t fast, int32_t out_offset,
                                    int32_t act_min, int32_t act_max)
{
    const int32_t y = fast ? mnc_dsp_requantize_fast(acc, q) : mnc_requantize(acc, q[1], -q[2]);
    return mnc_clamp_s8(y + out_offset, act_min, act_max);
}

#endif
