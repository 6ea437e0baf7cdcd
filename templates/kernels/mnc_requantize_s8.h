/* int8 -> int8 requantization (TFLite Requantize). */
#ifndef MNC_REQUANTIZE_S8_H
#define MNC_REQUANTIZE_S8_H

#include <stdint.h>

typedef struct {
    int32_t size;
    int32_t input_zp, output_zp;
    int32_t multiplier, shift;
} mnc_requantize_params_t;

void mnc_requantize_s8(const mnc_requantize_params_t *p, const int8_t *in, int8_t *out);

#endif
