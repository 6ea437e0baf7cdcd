/* Softmax over the last axis through Arm CMSIS-NN's arm_softmax_s8 (output scale 1/256, zp -128). */
#ifndef MNC_CMSIS_SOFTMAX_S8_H
#define MNC_CMSIS_SOFTMAX_S8_H

#include <stdint.h>

typedef struct {
    int32_t rows, depth;
    int32_t input_multiplier, input_left_shift, diff_min;
} mnc_cmsis_softmax_params_t;

void mnc_cmsis_softmax_s8(const mnc_cmsis_softmax_params_t *p, const int8_t *in, int8_t *out);

#endif
