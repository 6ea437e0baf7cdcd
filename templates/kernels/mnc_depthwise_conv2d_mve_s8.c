/* 3x3 depthwise convolution on Helium, eight channels per block in int16 lanes: each tap is one
 * widening load of the input, one of the weights and one VMUL (a product of int8 values fits int16).
 * Two taps are summed in int16 (|x * w| <= 128 * 127, so a pair stays below 2^15) before the pair is
 * widened into two int32 accumulators, even and odd channels (VMOVLB/VMOVLT); the compile-time
 * layout of the weights and quantization records follows that lane order. The input offset is folded
 * into the bias; padded taps read a pixel of zero points, which contributes exactly zero. */
#include "mnc_depthwise_conv2d_mve_s8.h"

#include "mnc_requant_mve_s8.h"

#define MNC_DW_MVE_QUANT_WORDS 32     /* 2 lane sets x 4 fields x 4 lanes per block */

typedef struct {
    const int8_t *tap[MNC_DW_MVE_TAPS];
} mnc_dw_mve_window_t;

/* acc[0..1] (even, odd channels) += two taps' products, summed in int16. */
static inline __attribute__((always_inline)) void mnc_dw_mve_tap_pair(
        const int8_t **xa, const int8_t **xb, const int8_t **w, int32x4_t acc[2])
{
    int16x8_t s = vmulq_s16(mnc_mve_load8_s16_post(xa), mnc_mve_load8_s16_post(w));
    s = vaddq_s16(s, vmulq_s16(mnc_mve_load8_s16_post(xb), mnc_mve_load8_s16_post(w)));
    acc[0] = vaddq_s32(acc[0], vmovlbq_s16(s));
    acc[1] = vaddq_s32(acc[1], vmovltq_s16(s));
}

static inline __attribute__((always_inline)) void mnc_dw_mve_tap(const int8_t **x, const int8_t **w, int32x4_t acc[2])
{
    const int16x8_t s = vmulq_s16(mnc_mve_load8_s16_post(x), mnc_mve_load8_s16_post(w));
    acc[0] = vaddq_s32(acc[0], vmovlbq_s16(s));
    acc[1] = vaddq_s32(acc[1], vmovltq_s16(s));
}

/* Requantize one lane set and store it to out[0], out[2], out[4], out[6]. */
static inline __attribute__((always_inline)) void mnc_dw_mve_store(
        const mnc_depthwise_conv2d_mve_params_t *p, int32x4_t acc, const int32_t *q, int8_t *out, uint32x4_t offsets)
{
    const int32x4_t y = mnc_mve_requantize(acc, vldrwq_s32(q + 4), vldrwq_s32(q + 8), vldrwq_s32(q + 12));
    vstrbq_scatter_offset_s32(out, offsets,
                              mnc_mve_output(y, p->output_offset, vdupq_n_s32(p->act_min), vdupq_n_s32(p->act_max)));
}

/* The last `left` (< 8) channels: the same arithmetic with predicated loads and stores, so nothing past
 * the tensor is read or written. */
static void mnc_dw_mve_tail(const mnc_depthwise_conv2d_mve_params_t *p, const int8_t *const tap[MNC_DW_MVE_TAPS],
                            const int8_t *w, const int32_t *q, int8_t *out, int32_t left)
{
    const mve_pred16_t lanes = vctp16q((uint32_t)left);
    int32x4_t acc[2] = {vldrwq_s32(q), vldrwq_s32(q + 16)};
    for (int32_t k = 0; k < MNC_DW_MVE_TAPS; k++) {
        const int16x8_t s = vmulq_s16(vldrbq_z_s16(tap[k], lanes), vldrbq_s16(w + k * MNC_DW_MVE_LANES));
        acc[0] = vaddq_s32(acc[0], vmovlbq_s16(s));
        acc[1] = vaddq_s32(acc[1], vmovltq_s16(s));
    }
    const uint32x4_t offsets = vidupq_n_u32(0u, 2);
    const int32x4_t act_min = vdupq_n_s32(p->act_min), act_max = vdupq_n_s32(p->act_max);
    for (int32_t set = 0; set < 2; set++) {
        const int32_t *r = q + 16 * set;
        const int32x4_t y = mnc_mve_requantize(acc[set], vldrwq_s32(r + 4), vldrwq_s32(r + 8), vldrwq_s32(r + 12));
        /* lane j holds channel 2j + set */
        const mve_pred16_t keep = vcmphiq(vdupq_n_u32((uint32_t)(left - set)), offsets);
        vstrbq_scatter_offset_p_s32(out + set, offsets, mnc_mve_output(y, p->output_offset, act_min, act_max), keep);
    }
}

/* All channels of one output pixel whose 9 taps start at win->tap[]. */
static void mnc_dw_mve_pixel(const mnc_depthwise_conv2d_mve_params_t *p, const mnc_dw_mve_window_t *win,
                             int8_t *out)
{
    const int8_t *t0 = win->tap[0], *t1 = win->tap[1], *t2 = win->tap[2], *t3 = win->tap[3], *t4 = win->tap[4];
    const int8_t *t5 = win->tap[5], *t6 = win->tap[6], *t7 = win->tap[7], *t8 = win->tap[8];
    const int8_t *w = p->weights;
    const int32_t *q = p->quant;
    const uint32x4_t offsets = vidupq_n_u32(0u, 2);
    const int32_t full = p->in_c & ~(MNC_DW_MVE_LANES - 1);
    for (int32_t c = 0; c < full; c += MNC_DW_MVE_LANES) {
        int32x4_t acc[2] = {vldrwq_s32(q), vldrwq_s32(q + 16)};
        mnc_dw_mve_tap_pair(&t0, &t1, &w, acc);
        mnc_dw_mve_tap_pair(&t2, &t3, &w, acc);
        mnc_dw_mve_tap_pair(&t4, &t5, &w, acc);
        mnc_dw_mve_tap_pair(&t6, &t7, &w, acc);
        mnc_dw_mve_tap(&t8, &w, acc);
        mnc_dw_mve_store(p, acc[0], q, out + c, offsets);
        mnc_dw_mve_store(p, acc[1], q + 16, out + c + 1, offsets);
        q += MNC_DW_MVE_QUANT_WORDS;
    }
    if (full < p->in_c) {
        const int8_t *const tap[MNC_DW_MVE_TAPS] = {t0, t1, t2, t3, t4, t5, t6, t7, t8};
        mnc_dw_mve_tail(p, tap, w, q, out + full, p->in_c - full);
    }
}

/* Tap pointers of the window whose top-left input position is (iy, ix); padded taps read pad_pixel. */
static void mnc_dw_mve_window(const mnc_depthwise_conv2d_mve_params_t *p, const int8_t *in, int32_t iy, int32_t ix,
                              mnc_dw_mve_window_t *win)
{
    const int32_t c = p->in_c;
    if (iy >= 0 && iy + 3 <= p->in_h && ix >= 0 && ix + 3 <= p->in_w) {   /* interior: no padded tap */
        const int8_t *row = in + (iy * p->in_w + ix) * c;
        const int32_t row_step = p->in_w * c;
        for (int32_t k = 0; k < MNC_DW_MVE_TAPS; k += 3, row += row_step) {
            win->tap[k] = row;
            win->tap[k + 1] = row + c;
            win->tap[k + 2] = row + 2 * c;
        }
        return;
    }
    for (int32_t ky = 0; ky < 3; ky++) {
        for (int32_t kx = 0; kx < 3; kx++) {
            const int32_t y = iy + ky, x = ix + kx;
            const int inside = y >= 0 && y < p->in_h && x >= 0 && x < p->in_w;
            win->tap[ky * 3 + kx] = inside ? in + (y * p->in_w + x) * c : p->pad_pixel;
        }
    }
}

void mnc_depthwise_conv2d_mve_s8(const mnc_depthwise_conv2d_mve_params_t *p, const int8_t *in, int8_t *out)
{
    mnc_dw_mve_window_t win;
    for (int32_t oy = 0; oy < p->out_h; oy++) {
        for (int32_t ox = 0; ox < p->out_w; ox++) {
            mnc_dw_mve_window(p, in, oy * p->stride_h - p->pad_top, ox * p->stride_w - p->pad_left, &win);
            mnc_dw_mve_pixel(p, &win, out + (oy * p->out_w + ox) * p->in_c);
        }
    }
}
