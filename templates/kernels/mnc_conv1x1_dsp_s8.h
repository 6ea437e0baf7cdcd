/* Pointwise (1x1, no padding) int8 convolution for cores with the DSP extension, NHWC, batch 1.
 * Same results as mnc_conv1x1_s8, bit for bit. */
#ifndef MNC_CONV1X1_DSP_S8_H
#define MNC_CONV1X1_DSP_S8_H

#include <stdint.h>

typedef struct {
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t stride_h, stride_w;
    int32_t groups;                   /* ceil(in_c / 4) */
    int32_t output_offset;            /* output_zero_point */
    int32_t act_min, act_max;
    int32_t fast_requant;             /* 1: compile time proved the fast requantization exact */
    const int32_t *weights;           /* int8 x 4 per word: [ceil(out_c / 2)][groups][2] (mnc_gemm_dsp_s8.h) */
    const int32_t *quant;             /* [out rounded up to even][2]: bias + input_offset * sum(w), multiplier */
    const int8_t *shift;              /* [out rounded up to even]: right shift - 1 (-TFLite shift - 1) */
} mnc_conv1x1_dsp_params_t;

/* scratch: 16 * groups + out_c bytes, 4-byte aligned. */
void mnc_conv1x1_dsp_s8(const mnc_conv1x1_dsp_params_t *p, const int8_t *in, int8_t *out, int8_t *scratch);

#endif
