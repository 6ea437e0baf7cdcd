/* 3x3 depthwise int8 convolution (depth multiplier 1, no dilation, any stride, padding and channel
 * count) for Helium (MVE) cores, NHWC, batch 1. Same results as mnc_depthwise_conv2d_s8, bit for bit. */
#ifndef MNC_DEPTHWISE_CONV2D_MVE_S8_H
#define MNC_DEPTHWISE_CONV2D_MVE_S8_H

#include <stdint.h>

#define MNC_DW_MVE_TAPS 9
#define MNC_DW_MVE_LANES 8            /* channels per block (int16 lanes) */

typedef struct {
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w;
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left;
    int32_t output_offset;            /* output_zero_point */
    int32_t act_min, act_max;
    const int8_t *pad_pixel;          /* ceil(in_c / 8) * 8 copies of the input zero point: padded taps
                                         read it, and (zp + input_offset) * w == 0 as in TFLite */
    const int8_t *weights;            /* [ceil(in_c / 8)][9 taps][8 channels], zero padded */
    const int32_t *quant;             /* [ceil(in_c / 8)][2 lane sets][4 fields][4 lanes]: lane set 0 holds
                                         channels 0, 2, 4, 6 of the block, set 1 channels 1, 3, 5, 7; fields:
                                         bias + input_offset * sum(w), multiplier, left shift, -right shift */
} mnc_depthwise_conv2d_mve_params_t;

void mnc_depthwise_conv2d_mve_s8(const mnc_depthwise_conv2d_mve_params_t *p, const int8_t *in, int8_t *out);

#endif
