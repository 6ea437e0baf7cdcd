/* Depthwise int8 convolution with any window (kernel size, stride, dilation, padding; depth multiplier
 * 1) for Helium (MVE) cores, NHWC, batch 1. Same results as mnc_depthwise_conv2d_s8, bit for bit. The
 * 3x3 layers take mnc_depthwise_conv2d_mve_s8 (runs of windows in assembly); this kernel serves the
 * others (5x5 in MobileNetV3, 7x7, dilated), one window at a time in C intrinsics. */
#ifndef MNC_DEPTHWISE_KXK_MVE_S8_H
#define MNC_DEPTHWISE_KXK_MVE_S8_H

#include <stdint.h>

#define MNC_DW_KXK_MAX_TAPS 64        /* kernel_h * kernel_w at most (the tap pointers live on the stack) */

typedef struct {
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w;
    int32_t kernel_h, kernel_w;
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left;
    int32_t dilation_h, dilation_w;
    int32_t right_shift_only;         /* 1: every channel shifts right by >= 1 (the cheaper requantization) */
    int32_t output_offset;            /* output_zero_point */
    int32_t act_min, act_max;
    const int8_t *pad_row;            /* in_c copies of the input zero point: padded taps read it, and
                                         (zp + input_offset) * w == 0 as in TFLite */
    const int8_t *filter;             /* [ceil(in_c / 16)] blocks: int8 weights [taps][16 channels], zero
                                         padded, then int32 (little-endian) quantization records [4 lane
                                         sets][4 fields][4 lanes] as in mnc_depthwise_conv2d_mve_s8.h */
} mnc_depthwise_kxk_mve_params_t;

void mnc_depthwise_kxk_mve_s8(const mnc_depthwise_kxk_mve_params_t *p, const int8_t *in, int8_t *out);

#endif
