/* Constant padding, row by row: whole padded rows are one memset, interior rows a memset of the
 * left border, one memcpy per pixel (or per row when channels are unpadded) and the right border. */
#include "mnc_pad_s8.h"

#include <string.h>

/* One output row (fixed n, h) whose source row `src` exists. */
static void mnc_pad_row(const mnc_pad_params_t *p, const int8_t *src, int8_t *dst)
{
    const int32_t out_c = p->c_before + p->in_c + p->c_after;
    const int value = (int)(int8_t)p->pad_value;
    memset(dst, value, (size_t)(p->w_before * out_c));
    dst += p->w_before * out_c;
    if (p->c_before == 0 && p->c_after == 0) {
        memcpy(dst, src, (size_t)(p->in_w * p->in_c));
        dst += p->in_w * p->in_c;
    } else {
        for (int32_t x = 0; x < p->in_w; x++) {
            memset(dst, value, (size_t)p->c_before);
            memcpy(dst + p->c_before, src + x * p->in_c, (size_t)p->in_c);
            memset(dst + p->c_before + p->in_c, value, (size_t)p->c_after);
            dst += out_c;
        }
    }
    memset(dst, value, (size_t)(p->w_after * out_c));
}

void mnc_pad_s8(const mnc_pad_params_t *p, const int8_t *in, int8_t *out)
{
    const int32_t out_h = p->h_before + p->in_h + p->h_after;
    const int32_t out_n = p->n_before + p->in_n + p->n_after;
    const int32_t row = (p->w_before + p->in_w + p->w_after) * (p->c_before + p->in_c + p->c_after);
    const int value = (int)(int8_t)p->pad_value;
    for (int32_t n = 0; n < out_n; n++) {
        const int32_t in_n = n - p->n_before;
        for (int32_t h = 0; h < out_h; h++) {
            const int32_t in_h = h - p->h_before;
            int8_t *dst = out + (n * out_h + h) * row;
            if (in_n < 0 || in_n >= p->in_n || in_h < 0 || in_h >= p->in_h) {
                memset(dst, value, (size_t)row);
            } else {
                mnc_pad_row(p, in + (in_n * p->in_h + in_h) * p->in_w * p->in_c, dst);
            }
        }
    }
}
