/* Mul on Helium: (a + offset_a) * (b + offset_b) requantized to the output, as TFLite does per
 * element, on four int32 lanes at a time (the requantization is TFLite's bit for bit, see
 * mnc_requant_mve_s8.h). */
#include "mnc_mul_mve_s8.h"

#include "mnc_binary_mve_s8.h"

/* The layer's constants, read once (the row loop then keeps them in registers). */
typedef struct {
    int32_t offset_a, offset_b, output_offset;
    mnc_binary_mve_scale_t out;
    int32x4_t act_min, act_max;
} mnc_mul_mve_consts_t;

static void mnc_mul_mve_row(const mnc_mul_mve_consts_t *k, const int8_t *a, int32_t contiguous_a, const int8_t *b,
                            int32_t contiguous_b, int8_t *out, int32_t n)
{
    const mnc_mul_mve_consts_t c = *k;
    const int32_t step_a = 4 * contiguous_a, step_b = 4 * contiguous_b;
    for (; n > 0; n -= 4, a += step_a, b += step_b, out += 4) {
        const mve_pred16_t on = vctp32q((uint32_t)n);
        const int32x4_t xa = vaddq_n_s32(mnc_binary_mve_load(a, contiguous_a, on), c.offset_a);
        const int32x4_t xb = vaddq_n_s32(mnc_binary_mve_load(b, contiguous_b, on), c.offset_b);
        const int32x4_t raw = mnc_binary_mve_requantize(vmulq_s32(xa, xb), c.out);
        vstrbq_p_s32(out, vminq_s32(vmaxq_s32(vaddq_n_s32(raw, c.output_offset), c.act_min), c.act_max), on);
    }
}

void mnc_mul_mve_s8(const mnc_mul_mve_params_t *p, const int8_t *in0, const int8_t *in1, int8_t *out)
{
    const mnc_mul_mve_consts_t k = {p->in0_offset, p->in1_offset, p->output_offset,
                                    mnc_binary_mve_scale(p->output_multiplier, p->output_shift),
                                    vdupq_n_s32(p->act_min), vdupq_n_s32(p->act_max)};
    MNC_BINARY_MVE_ROWS(p, in0, in1, out, mnc_mul_mve_row(&k, a, ca, b, cb, out, n);)
}
