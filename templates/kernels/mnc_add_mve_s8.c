/* Add on Helium: each input's (x + offset) << left_shift rescaled to the common scale, the sum
 * rescaled to the output's, as TFLite does per element, on four int32 lanes at a time (the
 * requantization is TFLite's bit for bit, see mnc_requant_mve_s8.h). */
#include "mnc_add_mve_s8.h"

#include "mnc_binary_mve_s8.h"

/* The layer's constants, read once (the row loop then keeps them in registers). */
typedef struct {
    int32_t offset_a, offset_b, left_shift, output_offset;
    mnc_binary_mve_scale_t a, b, out;
    int32x4_t act_min, act_max;
} mnc_add_mve_consts_t;

static inline int32x4_t mnc_add_mve_scaled(int32x4_t x, int32_t offset, int32_t left_shift,
                                           mnc_binary_mve_scale_t s)
{
    return mnc_binary_mve_requantize(vshlq_r_s32(vaddq_n_s32(x, offset), left_shift), s);
}

static void mnc_add_mve_row(const mnc_add_mve_consts_t *k, const int8_t *a, int32_t contiguous_a, const int8_t *b,
                            int32_t contiguous_b, int8_t *out, int32_t n)
{
    const mnc_add_mve_consts_t c = *k;
    const int32_t step_a = 4 * contiguous_a, step_b = 4 * contiguous_b;
    for (; n > 0; n -= 4, a += step_a, b += step_b, out += 4) {
        const mve_pred16_t on = vctp32q((uint32_t)n);
        const int32x4_t sa = mnc_add_mve_scaled(mnc_binary_mve_load(a, contiguous_a, on), c.offset_a, c.left_shift, c.a);
        const int32x4_t sb = mnc_add_mve_scaled(mnc_binary_mve_load(b, contiguous_b, on), c.offset_b, c.left_shift, c.b);
        const int32x4_t raw = mnc_binary_mve_requantize(vaddq_s32(sa, sb), c.out);
        vstrbq_p_s32(out, vminq_s32(vmaxq_s32(vaddq_n_s32(raw, c.output_offset), c.act_min), c.act_max), on);
    }
}

void mnc_add_mve_s8(const mnc_add_mve_params_t *p, const int8_t *in0, const int8_t *in1, int8_t *out)
{
    const mnc_add_mve_consts_t k = {
        p->in0_offset, p->in1_offset, p->left_shift, p->output_offset,
        mnc_binary_mve_scale(p->in0_multiplier, p->in0_shift), mnc_binary_mve_scale(p->in1_multiplier, p->in1_shift),
        mnc_binary_mve_scale(p->output_multiplier, p->output_shift), vdupq_n_s32(p->act_min), vdupq_n_s32(p->act_max)};
    MNC_BINARY_MVE_ROWS(p, in0, in1, out, mnc_add_mve_row(&k, a, ca, b, cb, out, n);)
}
