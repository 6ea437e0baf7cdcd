/* 3x3 depthwise int8 convolution (depth multiplier 1, no dilation, any stride, padding and channel
 * count) for Helium (MVE) cores, NHWC, batch 1. Same results as mnc_depthwise_conv2d_s8, bit for bit.
 *
 * The kernel works on 16-lane blocks. Normally a block is 16 channels of one pixel; with `group` > 1
 * (in_c * group == 16, stride_w == 1) a block is `group` horizontally adjacent pixels of all channels,
 * whose taps are contiguous too. "Lane channel" v below is channel v % in_c. */
#ifndef MNC_DEPTHWISE_CONV2D_MVE_S8_H
#define MNC_DEPTHWISE_CONV2D_MVE_S8_H

#include <stdint.h>

#define MNC_DW_MVE_TAPS 9
#define MNC_DW_MVE_LANES 16           /* lane channels per block */

typedef struct {
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w;
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left;
    int32_t group;                    /* pixels per block: 16 / in_c, or 1 */
    int32_t right_shift_only;         /* 1: every channel shifts right by >= 1 (the cheaper requantization) */
    int32_t output_offset;            /* output_zero_point */
    int32_t act_min, act_max;
    const int8_t *pad_row;            /* in_w * in_c + 16 copies of the input zero point: padded taps read
                                         it, and (zp + input_offset) * w == 0 as in TFLite */
    const int8_t *filter;             /* [ceil(lanes / 16)] blocks of 400 bytes: int8 weights [9 taps][16
                                         lanes], zero padded, then int32 (little-endian) quantization
                                         records [4 lane sets][4 fields][4 lanes]: lane j of set s is lane
                                         4j + {0, 2, 1, 3}[s] (the order VMULLB/T then VMOVLB/T produce);
                                         fields: bias + input_offset * sum(w), multiplier, left shift,
                                         -right shift */
} mnc_depthwise_conv2d_mve_params_t;

void mnc_depthwise_conv2d_mve_s8(const mnc_depthwise_conv2d_mve_params_t *p, const int8_t *in, int8_t *out);

#endif
