/* General convolution on Helium as im2col + GEMM: `chunk` output pixels' windows are gathered into
 * rows of k16 bytes in the scratch (padded taps filled with the input zero point, so with the input
 * offset folded into the bias they add exactly 0, as TFLite's skipped taps do), then the GEMM core
 * (mnc_gemm_mve_s8.h) runs over them four pixels at a time. Windows are copied in 16-byte stores:
 * each store may run past its piece into bytes written next (or past k, where the weights are 0). */
#include "mnc_conv2d_mve_s8.h"

#include "mnc_gemm_mve_s8.h"

static void mnc_conv2d_mve_fill(int8_t *dst, int8x16_t pad, int32_t n)
{
    for (; n > 0; n -= 16, dst += 16) {
        vstrbq_s8(dst, pad);
    }
}

/* The window of output pixel (oy, ox) as kernel_h * kernel_w * in_c values in weight order, any
 * pixel (padding, dilation, wide rows). */
static __attribute__((noinline)) void mnc_conv2d_mve_gather(const mnc_conv2d_mve_params_t *p, const int8_t *in, int32_t oy, int32_t ox,
                                  int8_t *row, int8x16_t pad)
{
    const int32_t c = p->in_c;
    const int32_t iy0 = oy * p->stride_h - p->pad_top;
    const int32_t ix0 = ox * p->stride_w - p->pad_left;
    const int32_t row_bytes = p->kernel_w * c;
    const int whole = p->dilation_w == 1 && ix0 >= 0 && ix0 + p->kernel_w <= p->in_w;
    for (int32_t ky = 0; ky < p->kernel_h; ky++, row += row_bytes) {
        const int32_t iy = iy0 + ky * p->dilation_h;
        if (iy < 0 || iy >= p->in_h) {
            mnc_conv2d_mve_fill(row, pad, row_bytes);
            continue;
        }
        const int8_t *src = in + iy * p->in_w * c;
        if (whole) {
            mnc_gemm_mve_copy(row, src + ix0 * c, row_bytes);
            continue;
        }
        for (int32_t kx = 0; kx < p->kernel_w; kx++) {
            const int32_t ix = ix0 + kx * p->dilation_w;
            if (ix < 0 || ix >= p->in_w) {
                mnc_conv2d_mve_fill(row + kx * c, pad, c);
            } else {
                mnc_gemm_mve_copy(row + kx * c, src + ix * c, c);
            }
        }
    }
}

/* Output pixels whose window lies inside the input, as ranges of oy and ox: their kernel rows (at
 * most 16 bytes each) are copied with one 16-byte load and store each. */
typedef struct {
    int32_t oy_lo, oy_hi, ox_lo, ox_hi;   /* inclusive; empty when lo > hi */
    int32_t row_bytes, in_row;            /* bytes per kernel row; input bytes between kernel rows */
    int32_t in_step;                      /* input bytes between horizontally adjacent windows */
} mnc_conv2d_mve_interior_t;

static int32_t mnc_conv2d_mve_first_inside(int32_t pad, int32_t stride)
{
    return (pad + stride - 1) / stride;   /* the first o with o * stride - pad >= 0 */
}

static mnc_conv2d_mve_interior_t mnc_conv2d_mve_interior(const mnc_conv2d_mve_params_t *p)
{
    mnc_conv2d_mve_interior_t r;
    const int32_t room_h = p->in_h - 1 - (p->kernel_h - 1) * p->dilation_h + p->pad_top;
    const int32_t room_w = p->in_w - p->kernel_w + p->pad_left;
    r.oy_lo = mnc_conv2d_mve_first_inside(p->pad_top, p->stride_h);
    r.oy_hi = MNC_MIN(p->out_h - 1, room_h / p->stride_h);
    r.ox_lo = mnc_conv2d_mve_first_inside(p->pad_left, p->stride_w);
    r.ox_hi = MNC_MIN(p->out_w - 1, room_w / p->stride_w);
    r.row_bytes = p->kernel_w * p->in_c;
    r.in_row = p->dilation_h * p->in_w * p->in_c;
    r.in_step = p->stride_w * p->in_c;
    if (p->dilation_w != 1 || r.row_bytes > 16 || room_h < 0 || room_w < 0) {
        r.oy_lo = 1;                      /* no fast path */
        r.oy_hi = 0;
    }
    return r;
}

/* `count` horizontally adjacent interior windows, the first one's top-left input byte at src. */
static __attribute__((noinline)) void mnc_conv2d_mve_gather_run(const mnc_conv2d_mve_params_t *p,
                                                                const mnc_conv2d_mve_interior_t *r,
                                                                const int8_t *src, int8_t *row, int32_t count,
                                                                int32_t k16)
{
    const int32_t kernel_h = p->kernel_h, row_bytes = r->row_bytes, in_row = r->in_row, in_step = r->in_step;
    for (; count > 0; count--, src += in_step, row += k16) {
        const int8_t *s = src;
        int8_t *d = row;
        for (int32_t ky = 0; ky < kernel_h; ky++, s += in_row, d += row_bytes) {
            vstrbq_s8(d, vldrbq_s8(s));
        }
    }
}

/* Interior windows from (oy, ox) on along the row, at most `limit`, whose 16-byte loads stay inside
 * the input (only the input's last bytes could be read past). */
static int32_t mnc_conv2d_mve_interior_run(const mnc_conv2d_mve_params_t *p, const mnc_conv2d_mve_interior_t *r,
                                           int32_t oy, int32_t ox, int32_t limit, int32_t *src_at)
{
    if (oy < r->oy_lo || oy > r->oy_hi || ox < r->ox_lo || ox > r->ox_hi) {
        return 0;
    }
    const int32_t in_bytes = p->in_h * p->in_w * p->in_c;
    const int32_t src = ((oy * p->stride_h - p->pad_top) * p->in_w + ox * p->stride_w - p->pad_left) * p->in_c;
    int32_t count = MNC_MIN(r->ox_hi - ox + 1, limit);
    const int32_t last_row = src + (p->kernel_h - 1) * r->in_row;
    while (count > 0 && last_row + (count - 1) * r->in_step + 16 > in_bytes) {
        count--;
    }
    *src_at = src;
    return count;
}

void mnc_conv2d_mve_s8(const mnc_conv2d_mve_params_t *p, const int8_t *in, int8_t *out, int8_t *scratch)
{
    const int32_t k16 = (p->kernel_h * p->kernel_w * p->in_c + 15) & ~15;
    const int32_t pixels = p->out_h * p->out_w;
    const int8x16_t pad = vdupq_n_s8((int8_t)p->pad_value);
    const mnc_conv2d_mve_interior_t inner = mnc_conv2d_mve_interior(p);
    mnc_gemm_mve_t g;
    mnc_gemm_mve_init(&g, p->weights, p->quant, p->out_c, k16, p->output_offset, p->act_min, p->act_max);
    int32_t oy = 0, ox = 0;
    for (int32_t pix = 0; pix < pixels; pix += p->chunk) {
        const int32_t n = MNC_MIN(p->chunk, pixels - pix);
        for (int32_t j = 0; j < n;) {
            int32_t src = 0;
            int32_t count = mnc_conv2d_mve_interior_run(p, &inner, oy, ox, n - j, &src);
            if (count > 0) {
                mnc_conv2d_mve_gather_run(p, &inner, in + src, scratch + j * k16, count, k16);
            } else {
                mnc_conv2d_mve_gather(p, in, oy, ox, scratch + j * k16, pad);
                count = 1;
            }
            j += count;
            ox += count;
            if (ox == p->out_w) {
                ox = 0;
                oy++;
            }
        }
        const int32_t full = n / MNC_GEMM_MVE_PIXELS, rows = n % MNC_GEMM_MVE_PIXELS;
        if (full > 0) {
            mnc_gemm_mve_strided(&g, scratch, k16, out + pix * p->out_c, full);
            mnc_gemm_mve_run(&g, p->right_shift_only);
        }
        if (rows > 0) {   /* the layer's last block, short */
            mnc_gemm_mve_strided(&g, scratch + full * MNC_GEMM_MVE_PIXELS * k16, k16,
                                 out + (pix + full * MNC_GEMM_MVE_PIXELS) * p->out_c, 1);
            mnc_gemm_mve_repeat_last(&g, rows);
            mnc_gemm_mve_run(&g, p->right_shift_only);
        }
    }
}
