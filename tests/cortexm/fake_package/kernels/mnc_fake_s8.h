#ifndef MNC_FAKE_S8_H
#define MNC_FAKE_S8_H

#include <stdint.h>

/* rows == 1: elementwise out[i] = sat((in[i] - zp) * w[i] >> 2);
 * rows > 1: out[r] = sat((sum_i (in[i] - zp) * w[r][i] + b[r]) >> 10). */
typedef struct {
    int32_t cols;
    int32_t rows;
    int32_t input_zero_point;
    const int8_t *weights;
    const int32_t *bias;
} mnc_fake_params_t;

void mnc_fake_s8(const mnc_fake_params_t *p, const int8_t *in0, int8_t *out);

#endif
