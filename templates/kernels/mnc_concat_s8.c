#include "mnc_concat_s8.h"
#include "mnc_common.h"

static int8_t *copy_chunk(const int8_t *in, int32_t n, int32_t requantize, int32_t zp, int32_t multiplier,
                          int32_t shift, int32_t output_zp, int8_t *out)
{
    for (int32_t i = 0; i < n; ++i) {
        if (requantize) {
            const int32_t y = mnc_requantize((int32_t)in[i] - zp, multiplier, shift) + output_zp;
            out[i] = mnc_clamp_s8(y, INT8_MIN, INT8_MAX);
        } else {
            out[i] = in[i];
        }
    }
    return out + n;
}

void mnc_concat_s8(const mnc_concat_params_t *p, const int8_t *in0, const int8_t *in1, int8_t *out)
{
    for (int32_t k = 0; k < p->outer; ++k) {
        out = copy_chunk(in0 + k * p->in0_chunk, p->in0_chunk, p->in0_requantize, p->in0_zp, p->in0_multiplier,
                         p->in0_shift, p->output_zp, out);
        out = copy_chunk(in1 + k * p->in1_chunk, p->in1_chunk, p->in1_requantize, p->in1_zp, p->in1_multiplier,
                         p->in1_shift, p->output_zp, out);
    }
}
