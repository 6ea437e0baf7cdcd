/* Helpers shared by the DSP-extension (ARMv7E-M / ARMv8-M Mainline) kernels: SIMD unpacking of int8
 * words and a fast requantization that is bit-exact with TFLite's under conditions Python checks at
 * compile time (see the DSP section of mnc/ops/conv_common.py).
 *
 * Per output channel the kernels get `quant` = {bias, multiplier} int32 pairs (one LDRD) and
 * `shift` = int8 (right shift - 1) = -TFLite shift - 1: 9 bytes per channel. */
#ifndef MNC_REQUANT_DSP_S8_H
#define MNC_REQUANT_DSP_S8_H

#include <arm_acle.h>
#include <stdint.h>
#include <string.h>

#include "mnc_common.h"

#if !defined(__ARM_FEATURE_DSP)
#error "mnc *_dsp_s8 kernels need a core with the DSP extension (Cortex-M4/M7/M33/M55)"
#endif

#define MNC_DSP_QUANT_FIELDS 2   /* int32 words per channel in `quant`: bias, multiplier */

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

/* The output stage of one layer, in registers. */
typedef struct {
    int32_t round_zp;   /* 1 + 2 * output zero point (fast path) */
    int32_t out_offset, act_min, act_max;
} mnc_dsp_out_t;

static inline mnc_dsp_out_t mnc_dsp_out(int32_t out_offset, int32_t act_min, int32_t act_max)
{
    const mnc_dsp_out_t o = {1 + 2 * out_offset, out_offset, act_min, act_max};
    return o;
}

/* TFLite MultiplyByQuantizedMultiplier + zero point for a right shift >= 1 and |acc| < 2^29 (both
 * proven at compile time), given acc2 = 2 * acc: SaturatingRoundingDoublingHighMul(acc, m) is
 * SMMULR(2 * acc, m) (both round half up) and the rounding divide by 2^right (half away from zero)
 * is ((h - (h < 0)) >> (right - 1) + 1) >> 1; adding 2 * zp before the last shift adds zp exactly. */
static inline int32_t mnc_dsp_requantize_fast(int32_t acc2, int32_t mult, int32_t right_minus_1,
                                              int32_t round_zp)
{
    const int32_t h = mnc_smmulr(acc2, mult);
    return (((h + (h >> 31)) >> right_minus_1) + round_zp) >> 1;
}

/* Accumulator (bias included) -> int8 output. `fast` and `full` (activation range is all of int8)
 * are compile-time constants in the callers' specialised loops. `doubled`: the fast-path caller
 * accumulated 2 * acc already (weights and bias doubled), which saves the doubling here. */
static inline __attribute__((always_inline)) int32_t mnc_dsp_output(int32_t acc, int32_t mult, int32_t shift,
        const mnc_dsp_out_t *o, int fast, int full, int doubled)
{
    int32_t y;
    if (fast) {
        y = mnc_dsp_requantize_fast(doubled ? acc : acc * 2, mult, shift, o->round_zp);
    } else {
        y = mnc_requantize(acc, mult, -(shift + 1)) + o->out_offset;
    }
    return full ? __ssat(y, 8) : MNC_MIN(MNC_MAX(y, o->act_min), o->act_max);
}

/* Calls body(1, 1) for the common case (fast requantization, activation range all of int8) compiled
 * as its own loop with constants, else body(fast, full) with the flags tested per output: a second
 * specialised copy per case would cost flash for layers that are rare. */
#define MNC_DSP_SPECIALISE(fast_flag, full_flag, body)                                             \
    do {                                                                                         \
        const int fast_ = (fast_flag), full_ = (full_flag);                                      \
        if (fast_ && full_) {                                                                    \
            body(1, 1);                                                                          \
        } else {                                                                                 \
            body(fast_, full_);                                                                  \
        }                                                                                        \
    } while (0)

static inline int mnc_dsp_full_range(int32_t act_min, int32_t act_max)
{
    return act_min == -128 && act_max == 127;
}

#endif
