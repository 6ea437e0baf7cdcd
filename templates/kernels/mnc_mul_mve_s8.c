/* Mul on Helium: (a + offset_a) * (b + offset_b) requantized to the output, as TFLite does per
 * element, on four int32 lanes at a time (the requantization is TFLite's bit for bit, see
 * mnc_requant_mve_s8.h). */
#include "mnc_mul_mve_s8.h"

#include "mnc_binary_mve_s8.h"

static void mnc_mul_mve_row(const mnc_mul_mve_params_t *p, const int8_t *a, const int8_t *b, int8_t *out)
{
    const int32_t step_a = 4 * p->in0_stride3, step_b = 4 * p->in1_stride3;
    for (int32_t n = p->dim3; n > 0; n -= 4, a += step_a, b += step_b, out += 4) {
        const mve_pred16_t on = vctp32q((uint32_t)n);
        const int32x4_t xa = vaddq_n_s32(mnc_binary_mve_load(a, p->in0_stride3, on), p->in0_offset);
        const int32x4_t xb = vaddq_n_s32(mnc_binary_mve_load(b, p->in1_stride3, on), p->in1_offset);
        const int32x4_t raw = mnc_binary_mve_requantize(vmulq_s32(xa, xb), p->output_multiplier, p->output_shift);
        mnc_binary_mve_store(out, raw, p->output_offset, p->act_min, p->act_max, on);
    }
}

void mnc_mul_mve_s8(const mnc_mul_mve_params_t *p, const int8_t *in0, const int8_t *in1, int8_t *out)
{
    MNC_BINARY_MVE_ROWS(p, in0, in1, out, mnc_mul_mve_row(p, a, b, out);)
}
