/* Pointwise (1x1, no padding) int8 convolution, NHWC, batch 1: the MobileNet hot path. */
#ifndef MNC_CONV1X1_S8_H
#define MNC_CONV1X1_S8_H

#include <stdint.h>

typedef struct {
    int32_t in_h, in_w, in_c;
    int32_t out_h, out_w, out_c;
    int32_t stride_h, stride_w;
    int32_t output_offset;            /* output_zero_point */
    int32_t act_min, act_max;
    const int8_t *weights;            /* [out_c][in_c] */
    const int32_t *bias_folded;       /* [out_c]: bias + input_offset * sum(weights[oc]) */
    const int32_t *multiplier;        /* [out_c] */
    const int32_t *shift;             /* [out_c], signed, positive = left */
} mnc_conv1x1_params_t;

void mnc_conv1x1_s8(const mnc_conv1x1_params_t *p, const int8_t *in, int8_t *out);

#endif
