/* int8 max pooling, NHWC batch 1 (TFLite reference_integer_ops::MaxPool). */
#ifndef MNC_MAX_POOL_S8_H
#define MNC_MAX_POOL_S8_H

#include <stdint.h>

typedef struct {
    int32_t in_h, in_w, channels;
    int32_t out_h, out_w;
    int32_t kernel_h, kernel_w;
    int32_t stride_h, stride_w;
    int32_t pad_top, pad_left;
    int32_t act_min, act_max;   /* fused activation as an int8 clamp */
} mnc_max_pool_params_t;

void mnc_max_pool_s8(const mnc_max_pool_params_t *p, const int8_t *in, int8_t *out);

#endif
