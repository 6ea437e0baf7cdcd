/* int8 3x3 convolution of a 3-channel input (the first layer of an image network) for cores with the
 * DSP extension, any stride and pads, dilation 1, NHWC, batch 1; bit-exact with mnc_conv2d_s8. */
#ifndef MNC_CONV3X3_C3_DSP_S8_H
#define MNC_CONV3X3_C3_DSP_S8_H

#include <stdint.h>

typedef struct {
    int32_t in_h, in_w;               /* in_c = 3 */
    int32_t out_h, out_w, out_c;
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left;        /* bottom/right padding is implied by out_h/out_w */
    int32_t pad_value;                /* input zero point: padded taps then add (zp - zp) * w = 0 */
    int32_t output_offset;            /* output_zero_point */
    int32_t act_min, act_max;
    int32_t fast_requant;             /* 1: compile time proved the fast requantization exact */
    const int32_t *weights;           /* int8 x 4 per word: [ceil(out_c / 2)][7][2] (mnc_gemm_dsp_s8.h), the
                                       * 27 taps of a channel in the order of mnc_conv3x3_c3_dsp_s8.c */
    const int32_t *quant;             /* [out rounded up to even][2]: bias + input_offset * sum(w), multiplier */
    const int8_t *shift;              /* [out rounded up to even]: right shift - 1 (-TFLite shift - 1) */
} mnc_conv3x3_c3_dsp_params_t;

/* scratch: 144 + out_c bytes, 4-byte aligned. */
void mnc_conv3x3_c3_dsp_s8(const mnc_conv3x3_c3_dsp_params_t *p, const int8_t *in, int8_t *out, int8_t *scratch);

#endif
