/* int8 softmax over the last axis, output 1/256 zp -128 (TFLite reference_ops::Softmax). */
#ifndef MNC_SOFTMAX_S8_H
#define MNC_SOFTMAX_S8_H

#include <stdint.h>

typedef struct {
    int32_t outer;   /* rows */
    int32_t depth;   /* row length (last axis) */
    int32_t input_multiplier, input_left_shift;
    int32_t diff_min;
} mnc_softmax_params_t;

void mnc_softmax_s8(const mnc_softmax_params_t *p, const int8_t *in, int8_t *out);

#endif
