/* Convolution with any kernel size, stride, padding and dilation for ARMv7-M cores without the DSP
 * extension (the first 3x3 layer of a MobileNet): two output pixels' windows are copied into scratch
 * (im2col, the input zero point where the window leaves the input, which adds exactly 0 since the input
 * offset is folded into the bias), then the packed-pair GEMM of mnc_gemm_v7m_s8.h. */
#ifndef MNC_CONV2D_V7M_S8_H
#define MNC_CONV2D_V7M_S8_H

#include <stdint.h>

typedef struct {
    int32_t in_h, in_w, in_c, out_h, out_w, out_c;
    int32_t kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w;
    int32_t input_zero_point, output_offset, act_min, act_max;
    int32_t fast_requant;            /* 1: every channel meets the short requantization's conditions */
    const int32_t *weights;          /* [ceil(out_c / 2)][kernel_h * kernel_w * in_c] packed channel pairs */
    const int32_t *quant;            /* [out_c][3]: bias (input offset folded in), multiplier, shift */
} mnc_conv2d_v7m_params_t;

/* scratch: 2 * kernel_h * kernel_w * in_c bytes */
void mnc_conv2d_v7m_s8(const mnc_conv2d_v7m_params_t *p, const int8_t *x, int8_t *y, int8_t *scratch);

#endif
