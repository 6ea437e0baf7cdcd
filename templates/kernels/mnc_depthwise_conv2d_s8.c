/* int8 depthwise convolution, one output channel at a time so its weights, bias and requantization
 * constants are loaded once. Output pixels whose window lies wholly inside the input take a fast
 * path without bounds checks (fully unrolled for 3x3), with the input offset folded into the bias
 * (sum (x + off) * w + b == sum x * w + (b + off * sum w)); border pixels skip padded taps as
 * TFLite does. */
#include "mnc_depthwise_conv2d_s8.h"

#include "mnc_common.h"

/* Taps k in [*lo, *hi) of a window starting at `origin` that fall inside [0, size). */
static void mnc_dw_tap_range(int32_t origin, int32_t dilation, int32_t kernel, int32_t size,
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

/* Output positions [*lo, *hi) along one axis whose whole window is inside the input. */
static void mnc_dw_interior(int32_t pad, int32_t stride, int32_t dilation, int32_t kernel, int32_t size,
                            int32_t out_size, int32_t *lo, int32_t *hi)
{
    const int32_t span = (kernel - 1) * dilation;
    int32_t first = (pad + stride - 1) / stride;               /* first o with o*stride - pad >= 0 */
    int32_t last = size - 1 - span + pad;                      /* o*stride <= last */
    last = last < 0 ? 0 : last / stride + 1;
    first = MNC_MIN(first, out_size);
    *lo = first;
    *hi = MNC_MAX(first, MNC_MIN(last, out_size));
}

static int8_t mnc_dw_output(const mnc_depthwise_conv2d_params_t *p, int32_t acc, int32_t mult, int32_t shift)
{
    const int32_t y = mnc_requantize(acc, mult, shift) + p->output_offset;
    return mnc_clamp_s8(y, p->act_min, p->act_max);
}

/* One output pixel with bounds checks: TFLite's loop, padded taps skipped. */
static int32_t mnc_dw_border_acc(const mnc_depthwise_conv2d_params_t *p, const int8_t *in, int32_t c,
                                 int32_t oc, int32_t oy, int32_t ox)
{
    const int32_t out_c = p->in_c * p->depth_multiplier;
    const int32_t iy0 = oy * p->stride_h - p->pad_top;
    const int32_t ix0 = ox * p->stride_w - p->pad_left;
    int32_t ky_lo, ky_hi, kx_lo, kx_hi;
    mnc_dw_tap_range(iy0, p->dilation_h, p->kernel_h, p->in_h, &ky_lo, &ky_hi);
    mnc_dw_tap_range(ix0, p->dilation_w, p->kernel_w, p->in_w, &kx_lo, &kx_hi);
    int32_t acc = 0;
    for (int32_t ky = ky_lo; ky < ky_hi; ky++) {
        const int8_t *xrow = in + ((iy0 + ky * p->dilation_h) * p->in_w + ix0) * p->in_c + c;
        const int8_t *wrow = p->weights + ky * p->kernel_w * out_c + oc;
        for (int32_t kx = kx_lo; kx < kx_hi; kx++) {
            acc += (xrow[kx * p->dilation_w * p->in_c] + p->input_offset) * wrow[kx * out_c];
        }
    }
    return acc + p->bias[oc];
}

/* Interior window, any kernel size: x points at the window's top-left tap. */
static int32_t mnc_dw_interior_acc(const mnc_depthwise_conv2d_params_t *p, const int8_t *x, int32_t oc,
                                   int32_t folded)
{
    const int32_t out_c = p->in_c * p->depth_multiplier;
    int32_t dot = 0;
    for (int32_t ky = 0; ky < p->kernel_h; ky++) {
        const int8_t *xrow = x + ky * p->dilation_h * p->in_w * p->in_c;
        const int8_t *wrow = p->weights + ky * p->kernel_w * out_c + oc;
        for (int32_t kx = 0; kx < p->kernel_w; kx++) {
            dot += xrow[kx * p->dilation_w * p->in_c] * wrow[kx * out_c];
        }
    }
    return (int32_t)((uint32_t)dot + (uint32_t)folded);
}

/* bias + input_offset * sum of the channel's weights, in two's complement. */
static int32_t mnc_dw_folded_bias(const mnc_depthwise_conv2d_params_t *p, int32_t oc)
{
    const int32_t out_c = p->in_c * p->depth_multiplier;
    const int32_t taps = p->kernel_h * p->kernel_w;
    int32_t wsum = 0;
    for (int32_t t = 0; t < taps; t++) {
        wsum += p->weights[t * out_c + oc];
    }
    return (int32_t)((uint32_t)p->bias[oc] + (uint32_t)p->input_offset * (uint32_t)wsum);
}

/* The interior columns [ox_lo, ox_hi) of row oy for a 3x3 kernel, weights in registers. */
static void mnc_dw_row_3x3(const mnc_depthwise_conv2d_params_t *p, const int8_t *in, int8_t *out,
                           int32_t c, int32_t oc, int32_t oy, int32_t ox_lo, int32_t ox_hi, int32_t folded)
{
    const int32_t out_c = p->in_c * p->depth_multiplier;
    const int8_t *w = p->weights + oc;
    const int32_t w0 = w[0], w1 = w[out_c], w2 = w[2 * out_c];
    const int32_t w3 = w[3 * out_c], w4 = w[4 * out_c], w5 = w[5 * out_c];
    const int32_t w6 = w[6 * out_c], w7 = w[7 * out_c], w8 = w[8 * out_c];
    const int32_t dx = p->dilation_w * p->in_c;
    const int32_t dy = p->dilation_h * p->in_w * p->in_c;
    const int32_t step = p->stride_w * p->in_c;
    const int32_t mult = p->multiplier[oc];
    const int32_t shift = p->shift[oc];
    const int32_t iy0 = oy * p->stride_h - p->pad_top;
    const int8_t *x = in + (iy0 * p->in_w + ox_lo * p->stride_w - p->pad_left) * p->in_c + c;
    int8_t *y = out + (oy * p->out_w + ox_lo) * out_c + oc;
    for (int32_t ox = ox_lo; ox < ox_hi; ox++) {
        const int8_t *r1 = x + dy;
        const int8_t *r2 = r1 + dy;
        const int32_t dot = x[0] * w0 + x[dx] * w1 + x[2 * dx] * w2
                          + r1[0] * w3 + r1[dx] * w4 + r1[2 * dx] * w5
                          + r2[0] * w6 + r2[dx] * w7 + r2[2 * dx] * w8;
        *y = mnc_dw_output(p, (int32_t)((uint32_t)dot + (uint32_t)folded), mult, shift);
        x += step;
        y += out_c;
    }
}

static void mnc_dw_channel(const mnc_depthwise_conv2d_params_t *p, const int8_t *in, int8_t *out,
                           int32_t c, int32_t oc, const int32_t interior[4])
{
    const int32_t out_c = p->in_c * p->depth_multiplier;
    const int32_t mult = p->multiplier[oc];
    const int32_t shift = p->shift[oc];
    const int32_t folded = mnc_dw_folded_bias(p, oc);
    const int is_3x3 = p->kernel_h == 3 && p->kernel_w == 3;
    for (int32_t oy = 0; oy < p->out_h; oy++) {
        const int inner_row = oy >= interior[0] && oy < interior[1];
        const int32_t fast_lo = inner_row ? interior[2] : p->out_w;
        const int32_t fast_hi = inner_row ? interior[3] : p->out_w;
        int8_t *yrow = out + oy * p->out_w * out_c + oc;
        for (int32_t ox = 0; ox < fast_lo; ox++) {
            yrow[ox * out_c] = mnc_dw_output(p, mnc_dw_border_acc(p, in, c, oc, oy, ox), mult, shift);
        }
        if (is_3x3) {
            mnc_dw_row_3x3(p, in, out, c, oc, oy, fast_lo, fast_hi, folded);
        } else {
            const int32_t iy0 = oy * p->stride_h - p->pad_top;
            for (int32_t ox = fast_lo; ox < fast_hi; ox++) {
                const int8_t *x = in + (iy0 * p->in_w + ox * p->stride_w - p->pad_left) * p->in_c + c;
                yrow[ox * out_c] = mnc_dw_output(p, mnc_dw_interior_acc(p, x, oc, folded), mult, shift);
            }
        }
        for (int32_t ox = MNC_MAX(fast_hi, fast_lo); ox < p->out_w; ox++) {
            yrow[ox * out_c] = mnc_dw_output(p, mnc_dw_border_acc(p, in, c, oc, oy, ox), mult, shift);
        }
    }
}

void mnc_depthwise_conv2d_s8(const mnc_depthwise_conv2d_params_t *p, const int8_t *in, int8_t *out)
{
    int32_t interior[4];
    mnc_dw_interior(p->pad_top, p->stride_h, p->dilation_h, p->kernel_h, p->in_h, p->out_h,
                    &interior[0], &interior[1]);
    mnc_dw_interior(p->pad_left, p->stride_w, p->dilation_w, p->kernel_w, p->in_w, p->out_w,
                    &interior[2], &interior[3]);
    for (int32_t c = 0; c < p->in_c; c++) {
        for (int32_t m = 0; m < p->depth_multiplier; m++) {
            mnc_dw_channel(p, in, out, c, c * p->depth_multiplier + m, interior);
        }
    }
}
