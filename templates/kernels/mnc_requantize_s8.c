#include "mnc_requantize_s8.h"
#include "mnc_common.h"

void mnc_requantize_s8(const mnc_requantize_params_t *p, const int8_t *in, int8_t *out)
{
    for (int32_t i = 0; i < p->size; ++i) {
        const int32_t y = mnc_requantize((int32_t)in[i] - p->input_zp, p->multiplier, p->shift) + p->output_zp;
        out[i] = mnc_clamp_s8(y, INT8_MIN, INT8_MAX);
    }
}
