/* General convolution as im2col + GEMM: each output pixel's window is gathered into an int8 row
 * (padded taps filled with the input zero point, so with the input offset folded into the bias they
 * add exactly 0, as TFLite's skipped taps do), unpacked to int16, and two pixels at a time are
 * multiplied against all output channel pairs by the shared DSP GEMM core. */
#include "mnc_conv2d_dsp_s8.h"

#include "mnc_gemm_dsp_s8.h"

/* The window of output pixel (oy, ox) as kernel_h * kernel_w * in_c int8 values in weight order. */
static void mnc_conv2d_dsp_gather(const mnc_conv2d_dsp_params_t *p, const int8_t *in, int32_t oy, int32_t ox,
                                  int8_t *row)
{
    const int32_t iy0 = oy * p->stride_h - p->pad_top;
    const int32_t ix0 = ox * p->stride_w - p->pad_left;
    const int32_t row_bytes = p->kernel_w * p->in_c;
    const int32_t ix_last = ix0 + (p->kernel_w - 1) * p->dilation_w;
    for (int32_t ky = 0; ky < p->kernel_h; ky++) {
        const int32_t iy = iy0 + ky * p->dilation_h;
        int8_t *dst = row + ky * row_bytes;
        if (iy < 0 || iy >= p->in_h) {
            memset(dst, p->pad_value, (size_t)row_bytes);
            continue;
        }
        const int8_t *src = in + iy * p->in_w * p->in_c;
        if (p->dilation_w == 1 && ix0 >= 0 && ix_last < p->in_w) {
            memcpy(dst, src + ix0 * p->in_c, (size_t)row_bytes);
            continue;
        }
        for (int32_t kx = 0; kx < p->kernel_w; kx++) {
            const int32_t ix = ix0 + kx * p->dilation_w;
            if (ix < 0 || ix >= p->in_w) {
                memset(dst + kx * p->in_c, p->pad_value, (size_t)p->in_c);
            } else {
                memcpy(dst + kx * p->in_c, src + ix * p->in_c, (size_t)p->in_c);
            }
        }
    }
}

static void mnc_conv2d_dsp_column(const mnc_conv2d_dsp_params_t *p, const int8_t *in, int32_t pix, int8_t *row,
                                  uint32_t *slot)
{
    const int32_t oy = pix / p->out_w;
    mnc_conv2d_dsp_gather(p, in, oy, pix - oy * p->out_w, row);
    mnc_dsp_unpack(row, 4 * p->groups, slot, 4);   /* whole groups: the row's tail stays zero */
}

void mnc_conv2d_dsp_s8(const mnc_conv2d_dsp_params_t *p, const int8_t *in, int8_t *out, int8_t *scratch)
{
    uint32_t *cols = (uint32_t *)(void *)scratch;
    int8_t *row = scratch + 16 * p->groups;
    int8_t *discard = row + 4 * p->groups;   /* outputs of the phantom pixel of an odd count */
    memset(row, 0, (size_t)(4 * p->groups));   /* the bytes past the window in the last group */
    const mnc_dsp_gemm_t g = {p->groups, p->out_c, p->output_offset, p->act_min, p->act_max,
                              p->fast_requant, p->weights, p->quant, p->shift};
    const int32_t pixels = p->out_h * p->out_w;
    int32_t pix = 0;
    for (; pix + 1 < pixels; pix += 2) {
        mnc_conv2d_dsp_column(p, in, pix, row, cols);
        mnc_conv2d_dsp_column(p, in, pix + 1, row, cols + 2);
        mnc_dsp_gemm_2px(&g, cols, out + pix * p->out_c, out + (pix + 1) * p->out_c);
    }
    if (pix < pixels) {
        mnc_conv2d_dsp_column(p, in, pix, row, cols);
        mnc_conv2d_dsp_column(p, in, pix, row, cols + 2);
        mnc_dsp_gemm_2px(&g, cols, out + pix * p->out_c, discard);
    }
}
