/* Pointwise convolution as a [pixels x in_c] * [in_c x out_c] product. With no padding every tap
 * is inside the image, so the input offset is folded into the bias at compile time
 * (sum (x + off) * w + b == sum x * w + (b + off * sum w)) and the inner loop is a bare
 * int8 dot product. Blocks of 2 pixels x 2 channels reuse every load twice. */
#include "mnc_conv1x1_s8.h"

#include "mnc_common.h"

static int8_t mnc_conv1x1_output(const mnc_conv1x1_params_t *p, int32_t dot, int32_t oc)
{
    /* Two's-complement sum: equals TFLite's accumulator whenever that one does not overflow. */
    const int32_t acc = (int32_t)((uint32_t)dot + (uint32_t)p->bias_folded[oc]);
    const int32_t y = mnc_requantize(acc, p->multiplier[oc], p->shift[oc]) + p->output_offset;
    return mnc_clamp_s8(y, p->act_min, p->act_max);
}

static const int8_t *mnc_conv1x1_pixel(const mnc_conv1x1_params_t *p, const int8_t *in, int32_t pix)
{
    if (p->stride_h == 1 && p->stride_w == 1) {
        return in + pix * p->in_c;
    }
    const int32_t oy = pix / p->out_w;
    const int32_t ox = pix - oy * p->out_w;
    return in + (oy * p->stride_h * p->in_w + ox * p->stride_w) * p->in_c;
}

/* Two pixels (x0, x1) against all output channels. */
static void mnc_conv1x1_two_pixels(const mnc_conv1x1_params_t *p, const int8_t *x0, const int8_t *x1,
                                   int8_t *y0, int8_t *y1)
{
    const int32_t n = p->in_c;
    int32_t oc = 0;
    for (; oc + 1 < p->out_c; oc += 2) {
        const int8_t *w0 = p->weights + oc * n;
        const int8_t *w1 = w0 + n;
        int32_t a00 = 0, a01 = 0, a10 = 0, a11 = 0;
        for (int32_t i = 0; i < n; i++) {
            const int32_t u = x0[i];
            const int32_t v = x1[i];
            const int32_t f0 = w0[i];
            const int32_t f1 = w1[i];
            a00 += u * f0;
            a01 += u * f1;
            a10 += v * f0;
            a11 += v * f1;
        }
        y0[oc] = mnc_conv1x1_output(p, a00, oc);
        y0[oc + 1] = mnc_conv1x1_output(p, a01, oc + 1);
        y1[oc] = mnc_conv1x1_output(p, a10, oc);
        y1[oc + 1] = mnc_conv1x1_output(p, a11, oc + 1);
    }
    if (oc < p->out_c) {
        const int8_t *w0 = p->weights + oc * n;
        int32_t a0 = 0, a1 = 0;
        for (int32_t i = 0; i < n; i++) {
            a0 += x0[i] * w0[i];
            a1 += x1[i] * w0[i];
        }
        y0[oc] = mnc_conv1x1_output(p, a0, oc);
        y1[oc] = mnc_conv1x1_output(p, a1, oc);
    }
}

/* The last pixel of an odd count: pairs of output channels. */
static void mnc_conv1x1_one_pixel(const mnc_conv1x1_params_t *p, const int8_t *x0, int8_t *y0)
{
    const int32_t n = p->in_c;
    int32_t oc = 0;
    for (; oc + 1 < p->out_c; oc += 2) {
        const int8_t *w0 = p->weights + oc * n;
        const int8_t *w1 = w0 + n;
        int32_t a0 = 0, a1 = 0;
        for (int32_t i = 0; i < n; i++) {
            const int32_t u = x0[i];
            a0 += u * w0[i];
            a1 += u * w1[i];
        }
        y0[oc] = mnc_conv1x1_output(p, a0, oc);
        y0[oc + 1] = mnc_conv1x1_output(p, a1, oc + 1);
    }
    if (oc < p->out_c) {
        const int8_t *w0 = p->weights + oc * n;
        int32_t a0 = 0;
        for (int32_t i = 0; i < n; i++) {
            a0 += x0[i] * w0[i];
        }
        y0[oc] = mnc_conv1x1_output(p, a0, oc);
    }
}

void mnc_conv1x1_s8(const mnc_conv1x1_params_t *p, const int8_t *in, int8_t *out)
{
    const int32_t pixels = p->out_h * p->out_w;
    int32_t pix = 0;
    for (; pix + 1 < pixels; pix += 2) {
        mnc_conv1x1_two_pixels(p, mnc_conv1x1_pixel(p, in, pix), mnc_conv1x1_pixel(p, in, pix + 1),
                               out + pix * p->out_c, out + (pix + 1) * p->out_c);
    }
    if (pix < pixels) {
        mnc_conv1x1_one_pixel(p, mnc_conv1x1_pixel(p, in, pix), out + pix * p->out_c);
    }
}
