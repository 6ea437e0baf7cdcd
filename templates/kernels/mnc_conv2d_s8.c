/* General int8 convolution. For each output pixel the valid kernel taps are found once; when the
 * dilation along x is 1 the taps of one kernel row are one contiguous run of (taps * in_c) bytes in
 * both input and weights, so the inner loop is a plain dot product. Two output channels share
 * each input load. Padded taps are skipped, as in TFLite (they would add (zp + offset) * w = 0). */
#include "mnc_conv2d_s8.h"

#include "mnc_common.h"

/* Taps k in [*lo, *hi) of a window starting at `origin` that fall inside [0, size). */
static void mnc_conv2d_tap_range(int32_t origin, int32_t dilation, int32_t kernel, int32_t size,
                                 int32_t *lo, int32_t *hi)
{
    int32_t first = 0;
    int32_t last;
    if (origin < 0) {
        first = (-origin + dilation - 1) / dilation;
    }
    if (size - 1 - origin < 0) {
        last = 0;
    } else {
        last = MNC_MIN(kernel, (size - 1 - origin) / dilation + 1);
    }
    *lo = first;
    *hi = MNC_MAX(first, last);
}

/* acc0 += sum (x + off) * w0, acc1 += sum (x + off) * w1 over n contiguous values. */
static void mnc_conv2d_dot2(const int8_t *x, const int8_t *w0, const int8_t *w1, int32_t n,
                            int32_t off, int32_t *acc0, int32_t *acc1)
{
    int32_t a0 = *acc0;
    int32_t a1 = *acc1;
    for (int32_t i = 0; i < n; i++) {
        const int32_t v = x[i] + off;
        a0 += v * w0[i];
        a1 += v * w1[i];
    }
    *acc0 = a0;
    *acc1 = a1;
}

/* Accumulates all valid taps of one output pixel for output channels (w0, w1). */
static void mnc_conv2d_window(const mnc_conv2d_params_t *p, const int8_t *in, int32_t iy0, int32_t ix0,
                              int32_t ky_lo, int32_t ky_hi, int32_t kx_lo, int32_t kx_hi,
                              const int8_t *w0, const int8_t *w1, int32_t *acc0, int32_t *acc1)
{
    const int32_t in_c = p->in_c;
    const int32_t row_taps = kx_hi - kx_lo;
    for (int32_t ky = ky_lo; ky < ky_hi; ky++) {
        const int32_t iy = iy0 + ky * p->dilation_h;
        const int32_t wrow = (ky * p->kernel_w + kx_lo) * in_c;
        const int8_t *xrow = in + (iy * p->in_w + ix0 + kx_lo * p->dilation_w) * in_c;
        if (p->dilation_w == 1) {
            mnc_conv2d_dot2(xrow, w0 + wrow, w1 + wrow, row_taps * in_c, p->input_offset, acc0, acc1);
            continue;
        }
        for (int32_t t = 0; t < row_taps; t++) {
            mnc_conv2d_dot2(xrow + t * p->dilation_w * in_c, w0 + wrow + t * in_c, w1 + wrow + t * in_c,
                            in_c, p->input_offset, acc0, acc1);
        }
    }
}

static int8_t mnc_conv2d_output(const mnc_conv2d_params_t *p, int32_t acc, int32_t oc)
{
    acc += p->bias[oc];
    acc = mnc_requantize(acc, p->multiplier[oc], p->shift[oc]) + p->output_offset;
    return mnc_clamp_s8(acc, p->act_min, p->act_max);
}

void mnc_conv2d_s8(const mnc_conv2d_params_t *p, const int8_t *in, int8_t *out)
{
    const int32_t filter_size = p->kernel_h * p->kernel_w * p->in_c;
    for (int32_t oy = 0; oy < p->out_h; oy++) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top;
        int32_t ky_lo, ky_hi;
        mnc_conv2d_tap_range(iy0, p->dilation_h, p->kernel_h, p->in_h, &ky_lo, &ky_hi);
        for (int32_t ox = 0; ox < p->out_w; ox++) {
            const int32_t ix0 = ox * p->stride_w - p->pad_left;
            int32_t kx_lo, kx_hi;
            mnc_conv2d_tap_range(ix0, p->dilation_w, p->kernel_w, p->in_w, &kx_lo, &kx_hi);
            int8_t *dst = out + (oy * p->out_w + ox) * p->out_c;
            int32_t oc = 0;
            for (; oc + 1 < p->out_c; oc += 2) {
                const int8_t *w0 = p->weights + oc * filter_size;
                int32_t acc0 = 0;
                int32_t acc1 = 0;
                mnc_conv2d_window(p, in, iy0, ix0, ky_lo, ky_hi, kx_lo, kx_hi, w0, w0 + filter_size,
                                  &acc0, &acc1);
                dst[oc] = mnc_conv2d_output(p, acc0, oc);
                dst[oc + 1] = mnc_conv2d_output(p, acc1, oc + 1);
            }
            if (oc < p->out_c) {
                const int8_t *w0 = p->weights + oc * filter_size;
                int32_t acc0 = 0;
                int32_t unused = 0;
                mnc_conv2d_window(p, in, iy0, ix0, ky_lo, ky_hi, kx_lo, kx_hi, w0, w0, &acc0, &unused);
                dst[oc] = mnc_conv2d_output(p, acc0, oc);
            }
        }
    }
}
