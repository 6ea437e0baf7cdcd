/* int8 concatenation of two tensors, requantizing inputs whose quantization differs. */
#ifndef MNC_CONCAT_S8_H
#define MNC_CONCAT_S8_H

#include <stdint.h>

typedef struct {
    int32_t outer;   /* product of the dims before the axis */
    int32_t in0_chunk, in0_requantize, in0_zp, in0_multiplier, in0_shift;
    int32_t in1_chunk, in1_requantize, in1_zp, in1_multiplier, in1_shift;
    int32_t output_zp;
} mnc_concat_params_t;

void mnc_concat_s8(const mnc_concat_params_t *p, const int8_t *in0, const int8_t *in1, int8_t *out);

#endif
