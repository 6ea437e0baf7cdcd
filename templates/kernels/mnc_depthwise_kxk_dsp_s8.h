/* int8 depthwise convolution with any KxK window other than 3x3 (depth multiplier 1, no dilation, any
 * stride, padding and channel count) for cores with the DSP extension, NHWC, batch 1. Same results as
 * mnc_depthwise_conv2d_s8, bit for bit. Meant for the 5x5 windows of MobileNetV3.
 *
 * Channels are processed in groups of 4. Per group, the input rows a window needs are unpacked once
 * into a ring of kernel_h padded rows in scratch (per column two words of int16 lanes, [c0, c2] and
 * [c1, c3]; padding and rows outside the input hold the input zero point, which adds exactly 0 since
 * the input offset is folded into the bias), so each tap is one LDRD of input, one of weights and four
 * 16x16 multiply-accumulates. */
#ifndef MNC_DEPTHWISE_KXK_DSP_S8_H
#define MNC_DEPTHWISE_KXK_DSP_S8_H

#include <stdint.h>

#define MNC_DWK_DSP_MAX_KERNEL_H 16   /* ring slots on the stack: mnc/kernels/kxk_window.py refuses taller windows */

typedef struct {
    int32_t in_h, in_w, in_c;         /* out_c = in_c */
    int32_t out_h, out_w;
    int32_t kernel_h, kernel_w;
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left;        /* bottom/right padding is implied by out_h/out_w */
    int32_t pad_value;                /* input zero point */
    int32_t output_offset;            /* output_zero_point */
    int32_t act_min, act_max;
    int32_t fast_requant;             /* 1: compile time proved the fast requantization exact; weights and
                                         biases are then doubled (see mnc_dsp_output's `doubled`) */
    const int32_t *weights;           /* [ceil(in_c / 4)][kernel_h * kernel_w][2]: int16 lanes [w0, w2],
                                         [w1, w3] of the group's channels, zero padded */
    const int32_t *quant;             /* [in_c rounded up to 4][2]: bias + input_offset * sum(w), multiplier */
    const int8_t *shift;              /* [in_c rounded up to 4]: right shift - 1 (-TFLite shift - 1) */
} mnc_depthwise_kxk_dsp_params_t;

/* scratch: 8 * kernel_h * ((out_w - 1) * stride_w + kernel_w) bytes, 4-byte aligned (the ring). */
void mnc_depthwise_kxk_dsp_s8(const mnc_depthwise_kxk_dsp_params_t *p, const int8_t *in, int8_t *out,
                              int8_t *scratch);

#endif
