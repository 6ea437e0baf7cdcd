/* Pointwise (1x1, no padding) int8 convolution for Helium (MVE) cores, NHWC, batch 1.
 * Same results as mnc_conv1x1_s8, bit for bit. Also serves fully connected layers (one pixel). */
#ifndef MNC_CONV1X1_MVE_S8_H
#define MNC_CONV1X1_MVE_S8_H

#include <stdint.h>

typedef struct {
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t stride_h, stride_w;
    int32_t right_shift_only;         /* 1: every channel shifts right by >= 1 (the cheaper requantization) */
    int32_t output_offset;            /* output_zero_point */
    int32_t act_min, act_max;
    const int8_t *weights;            /* [out_c][in_c rounded up to 16], zero padded */
    const int32_t *quant;             /* [out_c][4]: bias + input_offset * sum(w), multiplier,
                                         left shift (>= 0), -right shift (<= 0) */
} mnc_conv1x1_mve_params_t;

/* scratch: 4 * (in_c rounded up to 16) bytes when in_c is not a multiple of 16, else unused. */
void mnc_conv1x1_mve_s8(const mnc_conv1x1_mve_params_t *p, const int8_t *in, int8_t *out, int8_t *scratch);

#endif
