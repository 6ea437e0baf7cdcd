/* Pointwise convolution as a GEMM on Helium: four pixels at a time against one output channel,
 * 16 int8 products per VMLADAVA into four scalar accumulators, the channel's tail (in_c % 16) under
 * a lane predicate. The four sums become one vector that is requantized with the channel's
 * parameters and scattered to the four pixels' outputs. The input offset is folded into the bias at
 * compile time, so the inner loop is loads and dot products only. */
#include "mnc_conv1x1_mve_s8.h"

#include "mnc_requant_mve_s8.h"

static const int8_t *mnc_conv1x1_mve_pixel(const mnc_conv1x1_mve_params_t *p, const int8_t *in, int32_t pix)
{
    if (p->stride_h == 1 && p->stride_w == 1) {
        return in + pix * p->in_c;
    }
    const int32_t oy = pix / p->out_w;
    const int32_t ox = pix - oy * p->out_w;
    return in + (oy * p->stride_h * p->in_w + ox * p->stride_w) * p->in_c;
}

/* Dot products of one weight row with four input pixels (k = in_c values each). */
static inline __attribute__((always_inline)) int32x4_t mnc_conv1x1_mve_dot4(
        const int8_t *x0, const int8_t *x1, const int8_t *x2, const int8_t *x3, const int8_t *w, int32_t k)
{
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    for (int32_t n = k >> 4; n > 0; n--) {
        const int8x16_t wv = mnc_mve_load16_post(&w);
        a0 = vmladavaq_s8(a0, mnc_mve_load16_post(&x0), wv);
        a1 = vmladavaq_s8(a1, mnc_mve_load16_post(&x1), wv);
        a2 = vmladavaq_s8(a2, mnc_mve_load16_post(&x2), wv);
        a3 = vmladavaq_s8(a3, mnc_mve_load16_post(&x3), wv);
    }
    k &= 15;
    if (k > 0) {
        const mve_pred16_t lanes = vctp8q((uint32_t)k);
        const int8x16_t wv = vldrbq_z_s8(w, lanes);
        a0 = vmladavaq_s8(a0, vldrbq_z_s8(x0, lanes), wv);
        a1 = vmladavaq_s8(a1, vldrbq_z_s8(x1, lanes), wv);
        a2 = vmladavaq_s8(a2, vldrbq_z_s8(x2, lanes), wv);
        a3 = vmladavaq_s8(a3, vldrbq_z_s8(x3, lanes), wv);
    }
    int32x4_t acc = vdupq_n_s32(a0);
    acc = vsetq_lane_s32(a1, acc, 1);
    acc = vsetq_lane_s32(a2, acc, 2);
    return vsetq_lane_s32(a3, acc, 3);
}

/* All output channels of four pixels; pixels beyond `rows` repeat the last one and are not stored. */
static inline __attribute__((always_inline)) void mnc_conv1x1_mve_block(
        const mnc_conv1x1_mve_params_t *p, const int8_t *const x[4], int8_t *out, int32_t rows)
{
    const uint32x4_t offsets = vmulq_n_u32(vidupq_n_u32(0u, 1), (uint32_t)p->out_c);
    const mve_pred16_t keep = vctp32q((uint32_t)rows);
    const int32x4_t act_min = vdupq_n_s32(p->act_min);
    const int32x4_t act_max = vdupq_n_s32(p->act_max);
    const int8_t *w = p->weights;
    const int32_t *q = p->quant;
    for (int32_t oc = 0; oc < p->out_c; oc++) {
        int32x4_t acc = mnc_conv1x1_mve_dot4(x[0], x[1], x[2], x[3], w, p->in_c);
        acc = vaddq_n_s32(acc, q[0]);
        const int32x4_t y = mnc_mve_output(mnc_mve_requantize_n(acc, q[1], q[2], q[3]), p->output_offset,
                                           act_min, act_max);
        if (rows == 4) {
            vstrbq_scatter_offset_s32(out + oc, offsets, y);
        } else {
            vstrbq_scatter_offset_p_s32(out + oc, offsets, y, keep);
        }
        w += p->in_c;
        q += MNC_CONV1X1_MVE_QUANT_FIELDS;
    }
}

void mnc_conv1x1_mve_s8(const mnc_conv1x1_mve_params_t *p, const int8_t *in, int8_t *out)
{
    const int32_t pixels = p->out_h * p->out_w;
    int32_t pix = 0;
    for (; pix + 4 <= pixels; pix += 4) {
        const int8_t *const x[4] = {mnc_conv1x1_mve_pixel(p, in, pix), mnc_conv1x1_mve_pixel(p, in, pix + 1),
                                    mnc_conv1x1_mve_pixel(p, in, pix + 2), mnc_conv1x1_mve_pixel(p, in, pix + 3)};
        mnc_conv1x1_mve_block(p, x, out + pix * p->out_c, 4);
    }
    if (pix < pixels) {
        const int32_t rows = pixels - pix;
        const int8_t *const x[4] = {mnc_conv1x1_mve_pixel(p, in, pix),
                                    mnc_conv1x1_mve_pixel(p, in, pix + MNC_MIN(1, rows - 1)),
                                    mnc_conv1x1_mve_pixel(p, in, pix + MNC_MIN(2, rows - 1)),
                                    mnc_conv1x1_mve_pixel(p, in, pix + rows - 1)};
        mnc_conv1x1_mve_block(p, x, out + pix * p->out_c, rows);
    }
}
