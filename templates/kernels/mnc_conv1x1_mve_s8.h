/* Pointwise (1x1, no padding) int8 convolution for Helium (MVE) cores, NHWC, batch 1.
 * Same results as mnc_conv1x1_s8, bit for bit. Also serves fully connected layers (one pixel). */
#ifndef MNC_CONV1X1_MVE_S8_H
#define MNC_CONV1X1_MVE_S8_H

#include <stdint.h>

/* Fields of one record in `quant`, per output channel. */
#define MNC_CONV1X1_MVE_QUANT_FIELDS 4

typedef struct {
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t stride_h, stride_w;
    int32_t output_offset;            /* output_zero_point */
    int32_t act_min, act_max;
    const int8_t *weights;            /* [out_c][in_c], as in the model */
    const int32_t *quant;             /* [out_c][4]: bias + input_offset * sum(w), multiplier,
                                         left shift (>= 0), -right shift (<= 0) */
} mnc_conv1x1_mve_params_t;

void mnc_conv1x1_mve_s8(const mnc_conv1x1_mve_params_t *p, const int8_t *in, int8_t *out);

#endif
