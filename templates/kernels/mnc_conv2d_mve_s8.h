/* General int8 2-D convolution for Helium (MVE) cores (any kernel, stride, dilation and padding),
 * NHWC, batch 1: im2col of a few output pixels at a time, then the Helium GEMM core. Same results as
 * mnc_conv2d_s8, bit for bit. Meant for the first layer (3 input channels) and other non-pointwise
 * convolutions; pointwise layers take mnc_conv1x1_mve_s8, which reads its rows in place. */
#ifndef MNC_CONV2D_MVE_S8_H
#define MNC_CONV2D_MVE_S8_H

#include <stdint.h>

typedef struct {
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t kernel_h, kernel_w;
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left;        /* bottom/right padding is implied by out_h/out_w */
    int32_t dilation_h, dilation_w;
    int32_t pad_value;                /* input zero point: padded taps then add (zp - zp) * w = 0 */
    int32_t chunk;                    /* output pixels gathered per im2col pass, a multiple of 4 */
    int32_t right_shift_only;         /* 1: every channel shifts right by >= 1 (the cheaper requantization) */
    int32_t output_offset;            /* output_zero_point */
    int32_t act_min, act_max;
    const int8_t *weights;            /* [out_c][k16]: OHWI rows (k = kernel_h * kernel_w * in_c) zero padded
                                         to k16, k rounded up to 16 */
    const int32_t *quant;             /* [out_c][4]: bias + input_offset * sum(w), multiplier,
                                         left shift (>= 0), -right shift (<= 0) */
} mnc_conv2d_mve_params_t;

/* scratch: chunk * k16 + 16 bytes (the windows; the last one's copy may run 15 bytes past k16). */
void mnc_conv2d_mve_s8(const mnc_conv2d_mve_params_t *p, const int8_t *in, int8_t *out, int8_t *scratch);

#endif
