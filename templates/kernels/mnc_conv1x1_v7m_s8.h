/* Pointwise (1x1, stride 1, no padding) convolution for ARMv7-M cores without the DSP extension: the
 * packed-pair GEMM of mnc_gemm_v7m_s8.h straight on the input pixels. */
#ifndef MNC_CONV1X1_V7M_S8_H
#define MNC_CONV1X1_V7M_S8_H

#include <stdint.h>

typedef struct {
    int32_t pixels, in_c, out_c;
    int32_t output_offset, act_min, act_max;
    int32_t fast_requant;            /* 1: every channel meets the short requantization's conditions */
    const int32_t *weights;          /* [ceil(out_c / 2)][in_c] packed channel pairs */
    const int32_t *quant;            /* [out_c][3]: bias (input offset folded in), multiplier, shift */
} mnc_conv1x1_v7m_params_t;

void mnc_conv1x1_v7m_s8(const mnc_conv1x1_v7m_params_t *p, const int8_t *x, int8_t *y);

#endif
