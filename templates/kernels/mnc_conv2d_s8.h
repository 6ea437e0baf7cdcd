/* General int8 2-D convolution (TFLite reference ConvPerChannel semantics), NHWC, batch 1. */
#ifndef MNC_CONV2D_S8_H
#define MNC_CONV2D_S8_H

#include <stdint.h>

typedef struct {
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t kernel_h, kernel_w;
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left;        /* bottom/right padding is implied by out_h/out_w */
    int32_t dilation_h, dilation_w;
    int32_t input_offset;             /* -input_zero_point */
    int32_t output_offset;            /* output_zero_point */
    int32_t act_min, act_max;
    const int8_t *weights;            /* [out_c][kernel_h][kernel_w][in_c] */
    const int32_t *bias;              /* [out_c] */
    const int32_t *multiplier;        /* [out_c] */
    const int32_t *shift;             /* [out_c], signed, positive = left */
} mnc_conv2d_params_t;

void mnc_conv2d_s8(const mnc_conv2d_params_t *p, const int8_t *in, int8_t *out);

#endif
