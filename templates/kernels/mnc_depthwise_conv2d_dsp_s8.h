/* int8 depthwise convolution (depth multiplier 1) for cores with the DSP extension, NHWC, batch 1;
 * bit-exact with mnc_depthwise_conv2d_s8 for any kernel, stride, dilation, pads and channel count. */
#ifndef MNC_DEPTHWISE_CONV2D_DSP_S8_H
#define MNC_DEPTHWISE_CONV2D_DSP_S8_H

#include <stdint.h>

typedef struct {
    int32_t in_h, in_w, in_c;         /* out_c = in_c */
    int32_t out_h, out_w;
    int32_t kernel_h, kernel_w;
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left;        /* bottom/right padding is implied by out_h/out_w */
    int32_t dilation_h, dilation_w;
    int32_t pad_value;                /* input zero point: padded taps then add (zp - zp) * w = 0 */
    int32_t output_offset;            /* output_zero_point */
    int32_t act_min, act_max;
    int32_t fast_requant;             /* 1: compile time proved the fast requantization exact */
    const int8_t *weights;            /* [kernel_h * kernel_w][in_c], the IR layout */
    const int32_t *quant;             /* [in_c rounded up to 4][2]: bias + input_offset * sum(w), multiplier */
    const int8_t *shift;              /* [in_c rounded up to 4]: right shift - 1 (-TFLite shift - 1) */
} mnc_depthwise_conv2d_dsp_params_t;

/* scratch: 24 * ((out_w - 1) * stride_w + 3) bytes, 4-byte aligned (three unpacked rows for the
 * 3x3 path; other kernel shapes do not use it); at least 3072 bytes (4 channel rings of 6 rows of
 * 128 bytes) when the planar 3x3 path runs: 3x3, dilation 1, fast requantization, activation range
 * all of int8, out_w >= 12 with stride_w 1 or >= 24 with stride_w 2, and (out_w - 1) * stride_w + 4 <= 64
 * (mnc/kernels/depthwise_conv2d_dsp.py). */
void mnc_depthwise_conv2d_dsp_s8(const mnc_depthwise_conv2d_dsp_params_t *p, const int8_t *in, int8_t *out,
                                 int8_t *scratch);

#endif
