#include "mnc_lut_s8.h"

void mnc_lut_s8(const mnc_lut_params_t *p, const int8_t *in, int8_t *out)
{
    const int8_t *lut = p->lut + 128;
    for (int32_t i = 0; i < p->size; ++i) {
        out[i] = lut[in[i]];
    }
}
