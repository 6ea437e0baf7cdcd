/* Packed-pair GEMM shared by the ARMv7-M convolution kernels (mnc_conv1x1_v7m_s8, mnc_conv2d_v7m_s8).
 * Two output channels share one int32 weight word, w[o0][k] + w[o1][k] * 2^24 (laid out at compile
 * time), so one SMLAL (x * word into a 64-bit accumulator) does two MACs: the low 24 bits hold
 * sum x * w[o0], the rest sum x * w[o1]. Exact while |sum x * w[o0]| < 2^23, which Python checks per
 * channel (128 * sum |w[o0]| < 2^23) before choosing these kernels. Two pixels share each word load:
 * per input value two LDRSB, one LDR and two SMLAL for four MACs. */
#ifndef MNC_GEMM_V7M_S8_H
#define MNC_GEMM_V7M_S8_H

#include <stdint.h>

#include "mnc_requant_v7m_s8.h"

/* Two pixels x0, x1 against one packed weight row w of n words. */
static inline __attribute__((always_inline)) void mnc_v7m_dot2(const int8_t *x0, const int8_t *x1,
        const int32_t *w, int32_t n, int64_t *a0, int64_t *a1)
{
    int64_t s0 = 0, s1 = 0;
    int32_t k = 0;
    for (; k + 4 <= n; k += 4) {
        s0 += (int64_t)x0[k] * w[k];
        s1 += (int64_t)x1[k] * w[k];
        s0 += (int64_t)x0[k + 1] * w[k + 1];
        s1 += (int64_t)x1[k + 1] * w[k + 1];
        s0 += (int64_t)x0[k + 2] * w[k + 2];
        s1 += (int64_t)x1[k + 2] * w[k + 2];
        s0 += (int64_t)x0[k + 3] * w[k + 3];
        s1 += (int64_t)x1[k + 3] * w[k + 3];
    }
    for (; k < n; k++) {
        s0 += (int64_t)x0[k] * w[k];
        s1 += (int64_t)x1[k] * w[k];
    }
    *a0 = s0;
    *a1 = s1;
}

/* Requantize and store the two channels of a packed accumulator (the second only if `second`). */
static inline __attribute__((always_inline)) void mnc_v7m_store_pair(int64_t acc, const int32_t *q, int8_t *y,
        int second, const mnc_v7m_out_t *o, int fast)
{
    const int32_t lo = (int32_t)((uint32_t)acc << 8) >> 8;   /* low 24 bits, sign-extended */
    const int32_t hi = (int32_t)((acc - lo) >> 24);
    y[0] = mnc_v7m_output(lo + q[0], q, o, fast);
    if (second) {
        y[1] = mnc_v7m_output(hi + q[MNC_V7M_QUANT_FIELDS], q + MNC_V7M_QUANT_FIELDS, o, fast);
    }
}

/* out_c channels of two pixels (y1 written only if `two`) from rows x0, x1 of n values. */
static inline __attribute__((always_inline)) void mnc_v7m_pixels2(const int8_t *x0, const int8_t *x1, int32_t n,
        const int32_t *w, const int32_t *q, int32_t out_c, int8_t *y0, int8_t *y1, int two,
        const mnc_v7m_out_t *o, int fast)
{
    for (int32_t c = 0; c < out_c; c += 2, w += n, q += 2 * MNC_V7M_QUANT_FIELDS) {
        int64_t a0, a1;
        mnc_v7m_dot2(x0, x1, w, n, &a0, &a1);
        const int second = c + 1 < out_c;
        mnc_v7m_store_pair(a0, q, y0 + c, second, o, fast);
        if (two) {
            mnc_v7m_store_pair(a1, q, y1 + c, second, o, fast);
        }
    }
}

#endif
