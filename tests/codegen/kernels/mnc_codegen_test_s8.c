#include "mnc_codegen_test_s8.h"

#include "mnc_common.h"

void mnc_codegen_test_lut_s8(const mnc_codegen_test_lut_params_t *p, const int8_t *in0, int8_t *out,
                             int8_t *scratch)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        scratch[i] = p->lut[(int32_t)in0[i] + 128];
    }
    for (i = 0; i < p->size; ++i) {
        out[i] = scratch[i];
    }
}

void mnc_codegen_test_add_s8(const mnc_codegen_test_add_params_t *p, const int8_t *in0, const int8_t *in1,
                             int8_t *out)
{
    int32_t i;
    for (i = 0; i < p->size; ++i) {
        out[i] = mnc_clamp_s8((int32_t)in0[i] + (int32_t)in1[i] + p->offset, -128, 127);
    }
}
