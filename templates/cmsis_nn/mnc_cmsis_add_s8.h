/* Element-wise add of two same-shape tensors through Arm CMSIS-NN's arm_elementwise_add_s8
 * (TFLite's add: both inputs rescaled with left_shift, then requantized). */
#ifndef MNC_CMSIS_ADD_S8_H
#define MNC_CMSIS_ADD_S8_H

#include <stdint.h>

typedef struct {
    int32_t size;
    int32_t in0_offset, in0_multiplier, in0_shift;
    int32_t in1_offset, in1_multiplier, in1_shift;
    int32_t left_shift;
    int32_t output_offset, output_multiplier, output_shift, act_min, act_max;
} mnc_cmsis_add_params_t;

void mnc_cmsis_add_s8(const mnc_cmsis_add_params_t *p, const int8_t *in0, const int8_t *in1, int8_t *out);

#endif
