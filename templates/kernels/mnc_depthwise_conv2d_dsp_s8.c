/* Depthwise convolution with SIMD across channels: NHWC keeps 4 channels of a pixel in one word,
 * SXTAB16 unpacks it to int16 lanes with the input offset added ([c0, c2] and [c1, c3]), and
 * SMLABB/SMLATT multiply each lane by its channel's weight, pre-widened to int16 and re-laid per
 * tap as [c0, c2, c1, c3] at compile time (depthwise weights are small, so the doubled flash is too).
 * Padded taps are skipped, as in TFLite; a full 3x3 window takes an unrolled path. */
#include "mnc_depthwise_conv2d_dsp_s8.h"

#include "mnc_requant_dsp_s8.h"

typedef struct {
    int32_t ky_lo, ky_hi, kx_lo, kx_hi;
} mnc_dw_dsp_window_t;

static inline int32_t mnc_sxtab16_hi(uint32_t acc, uint32_t x)
{
    int32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(acc), "r"(x));
    return r;
}

/* Taps k in [*lo, *hi) of a window starting at `origin` that fall inside [0, size). */
static void mnc_dw_dsp_tap_range(int32_t origin, int32_t dilation, int32_t kernel, int32_t size,
                                 int32_t *lo, int32_t *hi)
{
    const int32_t first = origin < 0 ? (-origin + dilation - 1) / dilation : 0;
    const int32_t last = size - 1 - origin < 0 ? 0 : MNC_MIN(kernel, (size - 1 - origin) / dilation + 1);
    *lo = first;
    *hi = MNC_MAX(first, last);
}

/* The first `lanes` channels at x, zero beyond: the last group must not read past the tensor. */
static inline uint32_t mnc_dw_dsp_load(const int8_t *x, int32_t lanes)
{
    if (lanes == 4) {
        return mnc_load_u32(x);
    }
    uint8_t bytes[4] = {0, 0, 0, 0};
    memcpy(bytes, x, (size_t)lanes);
    return mnc_load_u32(bytes);
}

/* acc[0..3] (channels 0, 2, 1, 3 of the group) += one tap. */
static inline __attribute__((always_inline)) void mnc_dw_dsp_tap(uint32_t v, const int16_t *w, uint32_t off2,
                                                                 int32_t acc[4])
{
    const int32_t xl = __sxtab16(off2, v);
    const int32_t xh = mnc_sxtab16_hi(off2, v);
    const int32_t wl = (int32_t)mnc_load_u32(w);
    const int32_t wh = (int32_t)mnc_load_u32(w + 2);
    acc[0] = __smlabb(xl, wl, acc[0]);
    acc[1] = __smlatt(xl, wl, acc[1]);
    acc[2] = __smlabb(xh, wh, acc[2]);
    acc[3] = __smlatt(xh, wh, acc[3]);
}

/* Taps of window `win` for the group whose top-left tap is in[origin] (origin may be a padded
 * position; only in-range taps are read) with weights w. */
static inline __attribute__((always_inline)) void mnc_dw_dsp_window(const mnc_depthwise_conv2d_dsp_params_t *p,
        const int8_t *in, int32_t origin, const int16_t *w, const mnc_dw_dsp_window_t *win, int32_t kernel_w, int32_t lanes,
        uint32_t off2, int32_t acc[4])
{
    const int32_t dx = p->dilation_w * p->in_c;
    const int32_t dy = p->dilation_h * p->in_w * p->in_c;
    for (int32_t ky = win->ky_lo; ky < win->ky_hi; ky++) {
        for (int32_t kx = win->kx_lo; kx < win->kx_hi; kx++) {
            const uint32_t v = mnc_dw_dsp_load(in + origin + ky * dy + kx * dx, lanes);
            mnc_dw_dsp_tap(v, w + (ky * kernel_w + kx) * 4, off2, acc);
        }
    }
}

/* A whole 3x3 window of 4 channels, unrolled. */
static void mnc_dw_dsp_3x3(const mnc_depthwise_conv2d_dsp_params_t *p, const int8_t *in, int32_t origin,
                           const int16_t *w, uint32_t off2, int32_t acc[4])
{
    static const mnc_dw_dsp_window_t full = {0, 3, 0, 3};
    mnc_dw_dsp_window(p, in, origin, w, &full, 3, 4, off2, acc);
}

static inline void mnc_dw_dsp_store(const mnc_depthwise_conv2d_dsp_params_t *p, const int32_t acc[4],
                                    const int32_t *q, int8_t *y, int32_t lanes)
{
    static const int32_t lane_of_channel[4] = {0, 2, 1, 3};
    for (int32_t c = 0; c < lanes; c++) {
        const int32_t *qc = q + c * MNC_DSP_QUANT_FIELDS;
        y[c] = mnc_dsp_output(acc[lane_of_channel[c]], qc, p->fast_requant, p->output_offset, p->act_min,
                              p->act_max);
    }
}

static void mnc_dw_dsp_pixel(const mnc_depthwise_conv2d_dsp_params_t *p, const int8_t *in, int8_t *y,
                             int32_t oy, int32_t ox, uint32_t off2)
{
    const int32_t iy0 = oy * p->stride_h - p->pad_top;
    const int32_t ix0 = ox * p->stride_w - p->pad_left;
    mnc_dw_dsp_window_t win;
    mnc_dw_dsp_tap_range(iy0, p->dilation_h, p->kernel_h, p->in_h, &win.ky_lo, &win.ky_hi);
    mnc_dw_dsp_tap_range(ix0, p->dilation_w, p->kernel_w, p->in_w, &win.kx_lo, &win.kx_hi);
    const int full_3x3 = p->kernel_h == 3 && p->kernel_w == 3 && win.ky_lo == 0 && win.ky_hi == 3 &&
                         win.kx_lo == 0 && win.kx_hi == 3;
    const int32_t taps = p->kernel_h * p->kernel_w;
    const int32_t origin = (iy0 * p->in_w + ix0) * p->in_c;
    const int16_t *w = p->weights;
    const int32_t *q = p->quant;
    for (int32_t c = 0; c < p->in_c; c += 4) {
        const int32_t lanes = MNC_MIN(4, p->in_c - c);
        int32_t acc[4] = {q[0], q[2 * MNC_DSP_QUANT_FIELDS], q[MNC_DSP_QUANT_FIELDS], q[3 * MNC_DSP_QUANT_FIELDS]};
        if (full_3x3 && lanes == 4) {
            mnc_dw_dsp_3x3(p, in, origin + c, w, off2, acc);
        } else {
            mnc_dw_dsp_window(p, in, origin + c, w, &win, p->kernel_w, lanes, off2, acc);
        }
        mnc_dw_dsp_store(p, acc, q, y + c, lanes);
        w += taps * 4;
        q += 4 * MNC_DSP_QUANT_FIELDS;
    }
}

void mnc_depthwise_conv2d_dsp_s8(const mnc_depthwise_conv2d_dsp_params_t *p, const int8_t *in, int8_t *out)
{
    const uint32_t off2 = ((uint32_t)p->input_offset & 0xFFFFu) * 0x10001u;   /* offset in both lanes */
    for (int32_t oy = 0; oy < p->out_h; oy++) {
        for (int32_t ox = 0; ox < p->out_w; ox++) {
            mnc_dw_dsp_pixel(p, in, out + (oy * p->out_w + ox) * p->in_c, oy, ox, off2);
        }
    }
}
