#include "mnc_mean_s8.h"
#include "mnc_common.h"

void mnc_mean_s8(const mnc_mean_params_t *p, const int8_t *in, int8_t *out)
{
    for (int32_t c = 0; c < p->channels; ++c) {
        int32_t sum = 0;
        const int8_t *px = in + c;
        for (int32_t i = 0; i < p->count; ++i) {
            sum += *px;
            px += p->channels;
        }
        const int32_t centered = sum - p->input_zp * p->count;
        const int32_t y = mnc_requantize(centered, p->multiplier, p->shift) + p->output_zp;
        out[c] = mnc_clamp_s8(y, INT8_MIN, INT8_MAX);
    }
}
