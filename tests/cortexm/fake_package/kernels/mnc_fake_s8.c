#include "mnc_fake_s8.h"

static int8_t saturate(int32_t x)
{
    return (int8_t)(x < -128 ? -128 : (x > 127 ? 127 : x));
}

void mnc_fake_s8(const mnc_fake_params_t *p, const int8_t *in0, int8_t *out)
{
    if (p->rows == 1) {
        for (int32_t i = 0; i < p->cols; ++i) {
            out[i] = saturate(((in0[i] - p->input_zero_point) * p->weights[i]) >> 2);
        }
        return;
    }
    for (int32_t r = 0; r < p->rows; ++r) {
        int32_t acc = p->bias[r];
        for (int32_t i = 0; i < p->cols; ++i) {
            acc += (in0[i] - p->input_zero_point) * p->weights[r * p->cols + i];
        }
        out[r] = saturate(acc >> 10);
    }
}
