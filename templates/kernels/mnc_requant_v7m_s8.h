/* Output stage shared by the ARMv7-M plain-C kernels (*_v7m_s8, for cores without the DSP extension
 * such as Cortex-M3): per output channel one record {bias with the input offset folded in, multiplier,
 * TFLite shift}, and TFLite's requantization, either exact for every shift (mnc_requantize) or, when
 * Python proved it equal at compile time (right shift in [1, 31], |acc| < 2^29: the conditions of
 * mnc_requant_dsp_s8.h), the short form: SMULL + rounding instead of SMMULR, then the same rounding
 * shift. Plain C: GCC turns the 64-bit products into SMULL/SMLAL; it also runs on the host. */
#ifndef MNC_REQUANT_V7M_S8_H
#define MNC_REQUANT_V7M_S8_H

#include <stdint.h>

#include "mnc_common.h"

#define MNC_V7M_QUANT_FIELDS 3   /* int32 words per channel: bias, multiplier, shift */

typedef struct {
    int32_t round_zp;            /* 1 + 2 * output zero point (fast path) */
    int32_t out_offset, act_min, act_max;
} mnc_v7m_out_t;

/* (a * b + 2^31) >> 32, as SMMULR computes it. */
static inline int32_t mnc_v7m_mulhi_round(int32_t a, int32_t b)
{
    return (int32_t)(((int64_t)a * b + (1LL << 31)) >> 32);
}

/* acc (bias included) -> int8, channel record q = {bias, multiplier, shift}. */
static inline __attribute__((always_inline)) int8_t mnc_v7m_output(int32_t acc, const int32_t *q,
        const mnc_v7m_out_t *o, int fast)
{
    int32_t y;
    if (fast) {
        const int32_t h = mnc_v7m_mulhi_round(acc * 2, q[1]);
        y = (((h + (h >> 31)) >> (-q[2] - 1)) + o->round_zp) >> 1;
    } else {
        y = mnc_requantize(acc, q[1], q[2]) + o->out_offset;
    }
    return (int8_t)MNC_MIN(MNC_MAX(y, o->act_min), o->act_max);
}

#endif
