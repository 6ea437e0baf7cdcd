/* KxK depthwise convolution with SIMD across 4 channels (SMLABB/SMLATT on int16 lanes unpacked by
 * SXTB16), one output pixel at a time: per tap an LDRD of the unpacked input column, an LDRD of the
 * unpacked weights and four multiply-accumulates. 5x5 windows are unrolled with constant offsets. */
#include "mnc_depthwise_kxk_dsp_s8.h"

#include "mnc_requant_dsp_s8.h"

/* Width in columns of a padded ring row: every window of the output row fits. */
static inline int32_t mnc_dwkd_padded_w(const mnc_depthwise_kxk_dsp_params_t *p)
{
    return (p->out_w - 1) * p->stride_w + p->kernel_w;
}

/* Input row iy, channels [c, c + lanes), unpacked into one ring row starting at column -pad_left. */
static void mnc_dwkd_fill_row(const mnc_depthwise_kxk_dsp_params_t *p, const int8_t *in, int32_t c, int32_t lanes,
                              int32_t iy, uint32_t pad4, uint32_t *dst)
{
    const int32_t padded_w = mnc_dwkd_padded_w(p);
    const uint32_t pad_lo = (uint32_t)__sxtb16(pad4), pad_hi = (uint32_t)mnc_sxtb16_hi(pad4);
    int32_t first = padded_w, last = padded_w;   /* columns [first, last) hold input pixels */
    if (iy >= 0 && iy < p->in_h) {
        first = MNC_MIN(p->pad_left, padded_w);
        last = MNC_MAX(first, MNC_MIN(padded_w, p->pad_left + p->in_w));
    }
    int32_t j = 0;
    for (; j < first; j++) {
        dst[2 * j] = pad_lo;
        dst[2 * j + 1] = pad_hi;
    }
    const int8_t *x = in + ((iy * p->in_w) + (j - p->pad_left)) * p->in_c + c;
    for (; j < last; j++, x += p->in_c) {
        uint32_t v;
        if (lanes == 4) {
            v = mnc_load_u32(x);
        } else {   /* last group: never read past the input; the unused lanes' weights are zero */
            v = 0;
            memcpy(&v, x, (size_t)lanes);
        }
        dst[2 * j] = (uint32_t)__sxtb16(v);
        dst[2 * j + 1] = (uint32_t)mnc_sxtb16_hi(v);
    }
    for (; j < padded_w; j++) {
        dst[2 * j] = pad_lo;
        dst[2 * j + 1] = pad_hi;
    }
}

/* acc[0..3] += the window of the pixel whose first column is `col`; kernel_h and kernel_w are constants
 * in the unrolled copy (which keeps the accumulators in registers). */
static inline __attribute__((always_inline)) void mnc_dwkd_window(const uint32_t *const *rows, int32_t col,
        const int32_t *w, int32_t kernel_h, int32_t kernel_w, int32_t acc[4])
{
#pragma GCC unroll 8
    for (int32_t ky = 0; ky < kernel_h; ky++, w += 2 * kernel_w) {
        const uint32_t *r = rows[ky] + 2 * col;
#pragma GCC unroll 8
        for (int32_t kx = 0; kx < kernel_w; kx++) {
            const int32_t xl = (int32_t)r[2 * kx], xh = (int32_t)r[2 * kx + 1];
            const int32_t wl = w[2 * kx], wh = w[2 * kx + 1];
            acc[0] = __smlabb(xl, wl, acc[0]);
            acc[2] = __smlatt(xl, wl, acc[2]);
            acc[1] = __smlabb(xh, wh, acc[1]);
            acc[3] = __smlatt(xh, wh, acc[3]);
        }
    }
}

typedef struct {
    int32_t bias[4], mult[4], shift[4];
    int32_t lanes;
} mnc_dwkd_group_t;

/* One output row of one group; `fast` and `full` are constants in the specialised copies. */
static inline __attribute__((always_inline)) void mnc_dwkd_row(const mnc_depthwise_kxk_dsp_params_t *p,
        const uint32_t *const *rows, const int32_t *w, const mnc_dwkd_group_t *g, const mnc_dsp_out_t *o,
        int8_t *y, int32_t kernel_h, int32_t kernel_w, int fast, int full)
{
    for (int32_t ox = 0; ox < p->out_w; ox++, y += p->in_c) {
        int32_t acc[4] = {g->bias[0], g->bias[1], g->bias[2], g->bias[3]};
        mnc_dwkd_window(rows, ox * p->stride_w, w, kernel_h, kernel_w, acc);
        if (g->lanes == 4) {
            const int32_t r0 = mnc_dsp_output(acc[0], g->mult[0], g->shift[0], o, fast, full, fast);
            const int32_t r1 = mnc_dsp_output(acc[1], g->mult[1], g->shift[1], o, fast, full, fast);
            const int32_t r2 = mnc_dsp_output(acc[2], g->mult[2], g->shift[2], o, fast, full, fast);
            const int32_t r3 = mnc_dsp_output(acc[3], g->mult[3], g->shift[3], o, fast, full, fast);
            y[0] = (int8_t)r0;
            y[1] = (int8_t)r1;
            y[2] = (int8_t)r2;
            y[3] = (int8_t)r3;
        } else {
            for (int32_t k = 0; k < g->lanes; k++) {
                y[k] = (int8_t)mnc_dsp_output(acc[k], g->mult[k], g->shift[k], o, fast, full, fast);
            }
        }
    }
}

static void mnc_dwkd_row_any(const mnc_depthwise_kxk_dsp_params_t *p, const uint32_t *const *rows,
                             const int32_t *w, const mnc_dwkd_group_t *g, int8_t *y)
{
    const mnc_dsp_out_t o = mnc_dsp_out(p->output_offset, p->act_min, p->act_max);
    const int full = mnc_dsp_full_range(p->act_min, p->act_max);
    if (p->kernel_h == 5 && p->kernel_w == 5 && p->fast_requant) {   /* MobileNetV3's, fused ReLU or not */
        if (full) {
            mnc_dwkd_row(p, rows, w, g, &o, y, 5, 5, 1, 1);
        } else {
            mnc_dwkd_row(p, rows, w, g, &o, y, 5, 5, 1, 0);
        }
    } else if (p->kernel_h == 5 && p->kernel_w == 5) {
        mnc_dwkd_row(p, rows, w, g, &o, y, 5, 5, 0, full);
    } else {
        mnc_dwkd_row(p, rows, w, g, &o, y, p->kernel_h, p->kernel_w, p->fast_requant, full);
    }
}

/* One channel group over the whole output: each input row is unpacked into the ring once. */
static void mnc_dwkd_group(const mnc_depthwise_kxk_dsp_params_t *p, const int8_t *in, int8_t *out, int32_t c,
                           uint32_t *ring)
{
    const int32_t taps = p->kernel_h * p->kernel_w, row_words = 2 * mnc_dwkd_padded_w(p);
    const uint32_t pad4 = (uint32_t)(uint8_t)p->pad_value * 0x01010101u;
    const int32_t *w = p->weights + (c / 4) * taps * 2;
    mnc_dwkd_group_t g;
    g.lanes = MNC_MIN(4, p->in_c - c);
    for (int32_t k = 0; k < 4; k++) {
        g.bias[k] = p->quant[(c + k) * MNC_DSP_QUANT_FIELDS];
        g.mult[k] = p->quant[(c + k) * MNC_DSP_QUANT_FIELDS + 1];
        g.shift[k] = p->shift[c + k];
    }
    int32_t held[MNC_DWK_DSP_MAX_KERNEL_H];   /* input row in each ring slot */
    for (int32_t k = 0; k < p->kernel_h; k++) {
        held[k] = INT32_MIN;
    }
    for (int32_t oy = 0; oy < p->out_h; oy++) {
        const uint32_t *rows[MNC_DWK_DSP_MAX_KERNEL_H];
        for (int32_t ky = 0; ky < p->kernel_h; ky++) {
            const int32_t iy = oy * p->stride_h - p->pad_top + ky;
            const int32_t slot = (iy % p->kernel_h + p->kernel_h) % p->kernel_h;
            uint32_t *dst = ring + slot * row_words;
            if (held[slot] != iy) {
                mnc_dwkd_fill_row(p, in, c, g.lanes, iy, pad4, dst);
                held[slot] = iy;
            }
            rows[ky] = dst;
        }
        mnc_dwkd_row_any(p, rows, w, &g, out + oy * p->out_w * p->in_c + c);
    }
}

void mnc_depthwise_kxk_dsp_s8(const mnc_depthwise_kxk_dsp_params_t *p, const int8_t *in, int8_t *out,
                              int8_t *scratch)
{
    uint32_t *ring = (uint32_t *)(void *)scratch;
    for (int32_t c = 0; c < p->in_c; c += 4) {
        mnc_dwkd_group(p, in, out, c, ring);
    }
}
