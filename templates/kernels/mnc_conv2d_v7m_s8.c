/* See the header. */
#include "mnc_conv2d_v7m_s8.h"

#include <string.h>

#include "mnc_gemm_v7m_s8.h"

/* n bytes from src to dst. Windows rows are short (3 pixels of 3 channels in a first layer): a call of
 * memcpy would cost more than the copy. */
static inline void mnc_v7m_copy(int8_t *dst, const int8_t *src, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        dst[i] = src[i];
    }
}

/* The window of output pixel (oy, ox) as kernel_h * kernel_w * in_c values, zero point outside. A window
 * row inside the input is one contiguous run when the kernel is not dilated along x. */
static void mnc_conv2d_v7m_im2col(const mnc_conv2d_v7m_params_t *p, const int8_t *x, int32_t oy, int32_t ox,
                                  int8_t *col)
{
    const int32_t c = p->in_c, run = p->kernel_w * c;
    const int32_t ix0 = ox * p->stride_w - p->pad_left;
    const int row_inside = p->dilation_w == 1 && ix0 >= 0 && ix0 + p->kernel_w <= p->in_w;
    for (int32_t ky = 0; ky < p->kernel_h; ky++) {
        const int32_t iy = oy * p->stride_h - p->pad_top + ky * p->dilation_h;
        if (row_inside && iy >= 0 && iy < p->in_h) {
            mnc_v7m_copy(col, x + (iy * p->in_w + ix0) * c, run);
            col += run;
            continue;
        }
        for (int32_t kx = 0; kx < p->kernel_w; kx++, col += c) {
            const int32_t ix = ix0 + kx * p->dilation_w;
            if (iy >= 0 && iy < p->in_h && ix >= 0 && ix < p->in_w) {
                mnc_v7m_copy(col, x + (iy * p->in_w + ix) * c, c);
            } else {
                memset(col, p->input_zero_point, (size_t)c);
            }
        }
    }
}

static inline __attribute__((always_inline)) void mnc_conv2d_v7m_run(const mnc_conv2d_v7m_params_t *p,
        const int8_t *x, int8_t *y, int8_t *scratch, int fast)
{
    const mnc_v7m_out_t o = {1 + 2 * p->output_offset, p->output_offset, p->act_min, p->act_max};
    const int32_t n = p->kernel_h * p->kernel_w * p->in_c, pixels = p->out_h * p->out_w, out_c = p->out_c;
    int8_t *col0 = scratch, *col1 = scratch + n;
    for (int32_t px = 0; px < pixels; px += 2) {
        const int two = px + 1 < pixels;
        mnc_conv2d_v7m_im2col(p, x, px / p->out_w, px % p->out_w, col0);
        if (two) {
            mnc_conv2d_v7m_im2col(p, x, (px + 1) / p->out_w, (px + 1) % p->out_w, col1);
        }
        int8_t *y0 = y + px * out_c;
        mnc_v7m_pixels2(col0, two ? col1 : col0, n, p->weights, p->quant, out_c, y0, y0 + out_c, two, &o, fast);
    }
}

void mnc_conv2d_v7m_s8(const mnc_conv2d_v7m_params_t *p, const int8_t *x, int8_t *y, int8_t *scratch)
{
    if (p->fast_requant) {
        mnc_conv2d_v7m_run(p, x, y, scratch, 1);
    } else {
        mnc_conv2d_v7m_run(p, x, y, scratch, 0);
    }
}
