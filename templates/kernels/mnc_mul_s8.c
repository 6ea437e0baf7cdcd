#include "mnc_mul_s8.h"
#include "mnc_common.h"

static inline int8_t mul_one(const mnc_mul_params_t *p, int32_t a, int32_t b)
{
    const int32_t prod = (a + p->in0_offset) * (b + p->in1_offset);
    const int32_t raw = mnc_requantize(prod, p->output_multiplier, p->output_shift);
    return mnc_clamp_s8(raw + p->output_offset, p->act_min, p->act_max);
}

/* Walks the 4D output; each input advances by its own strides (0 along broadcast axes). */
void mnc_mul_s8(const mnc_mul_params_t *p, const int8_t *in0, const int8_t *in1, int8_t *out)
{
    for (int32_t i0 = 0; i0 < p->dim0; ++i0) {
        for (int32_t i1 = 0; i1 < p->dim1; ++i1) {
            for (int32_t i2 = 0; i2 < p->dim2; ++i2) {
                const int8_t *a = in0 + i0 * p->in0_stride0 + i1 * p->in0_stride1 + i2 * p->in0_stride2;
                const int8_t *b = in1 + i0 * p->in1_stride0 + i1 * p->in1_stride1 + i2 * p->in1_stride2;
                for (int32_t i3 = 0; i3 < p->dim3; ++i3) {
                    *out++ = mul_one(p, *a, *b);
                    a += p->in0_stride3;
                    b += p->in1_stride3;
                }
            }
        }
    }
}
