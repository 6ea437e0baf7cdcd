/* Depthwise convolution with any window on Helium: per output pixel the tap pointers (padded taps at
 * the zero-point row), then per 16-channel block every tap's VMULLB/T pair, taps summed in pairs in
 * int16 and widened into int32 (mnc_dw_mve_s8.h), requantized and stored as 16 bytes. Whole blocks
 * load unpredicated; only the channel tail runs under a lane predicate. */
#include "mnc_depthwise_kxk_mve_s8.h"

#include "mnc_dw_mve_s8.h"

#define MNC_DW_KXK_QUANT_BYTES 256    /* 4 lane sets x 4 fields x 4 lanes x 4 bytes */

/* One block of `lanes` channels (16 when `whole`, a compile-time constant after inlining). */
static inline __attribute__((always_inline)) void mnc_dw_kxk_block(const mnc_depthwise_kxk_mve_params_t *p,
                                                                   const int8_t *const *tap, int32_t taps,
                                                                   const int8_t *w, int32_t c, int8_t *out,
                                                                   int whole, mve_pred16_t on)
{
    const int32_t *q = (const int32_t *)(const void *)(w + 16 * taps);
    int32x4_t acc[4] = {vldrwq_s32(q), vldrwq_s32(q + 16), vldrwq_s32(q + 32), vldrwq_s32(q + 48)};
    int32_t k = 0;
    for (; k + 1 < taps; k += 2, w += 32) {
        const int8x16_t xa = whole ? vldrbq_s8(tap[k] + c) : vldrbq_z_s8(tap[k] + c, on);
        const int8x16_t xb = whole ? vldrbq_s8(tap[k + 1] + c) : vldrbq_z_s8(tap[k + 1] + c, on);
        mnc_dw_mve_pair(xa, vldrbq_s8(w), xb, vldrbq_s8(w + 16), acc);
    }
    if (k < taps) {
        mnc_dw_mve_single(whole ? vldrbq_s8(tap[k] + c) : vldrbq_z_s8(tap[k] + c, on), vldrbq_s8(w), acc);
    }
    const int8x16_t y = mnc_dw_mve_requant(acc, q, p->right_shift_only, p->output_offset, p->act_min, p->act_max);
    if (whole) {
        vstrbq_s8(out + c, y);
    } else {
        vstrbq_p_s8(out + c, y, on);
    }
}

/* Tap pointers of the window whose top-left input position is (iy, ix), row by row. */
static void mnc_dw_kxk_taps(const mnc_depthwise_kxk_mve_params_t *p, const int8_t *in, int32_t iy, int32_t ix,
                            const int8_t **tap)
{
    for (int32_t ky = 0; ky < p->kernel_h; ky++) {
        const int32_t y = iy + ky * p->dilation_h;
        if (y < 0 || y >= p->in_h) {
            for (int32_t kx = 0; kx < p->kernel_w; kx++) {
                *tap++ = p->pad_row;
            }
            continue;
        }
        const int8_t *row = in + y * p->in_w * p->in_c;
        for (int32_t kx = 0; kx < p->kernel_w; kx++) {
            const int32_t x = ix + kx * p->dilation_w;
            *tap++ = x >= 0 && x < p->in_w ? row + x * p->in_c : p->pad_row;
        }
    }
}

void mnc_depthwise_kxk_mve_s8(const mnc_depthwise_kxk_mve_params_t *p, const int8_t *in, int8_t *out)
{
    const int32_t taps = p->kernel_h * p->kernel_w, c = p->in_c;
    const int32_t block_bytes = 16 * taps + MNC_DW_KXK_QUANT_BYTES, whole = c & ~15;
    const mve_pred16_t tail = vctp8q((uint32_t)(c - whole));
    const int8_t *tap[MNC_DW_KXK_MAX_TAPS];
    for (int32_t oy = 0; oy < p->out_h; oy++) {
        for (int32_t ox = 0; ox < p->out_w; ox++, out += c) {
            mnc_dw_kxk_taps(p, in, oy * p->stride_h - p->pad_top, ox * p->stride_w - p->pad_left, tap);
            const int8_t *w = p->filter;
            for (int32_t c0 = 0; c0 < whole; c0 += 16, w += block_bytes) {
                mnc_dw_kxk_block(p, tap, taps, w, c0, out, 1, tail);
            }
            if (whole < c) {
                mnc_dw_kxk_block(p, tap, taps, w, whole, out, 0, tail);
            }
        }
    }
}
