#include "mnc_avg_pool_s8.h"
#include "mnc_common.h"

/* Sum of one channel over the in-bounds part of a window. */
static int32_t window_sum(const mnc_avg_pool_params_t *p, const int8_t *in, int32_t y0, int32_t y1,
                          int32_t x0, int32_t x1)
{
    int32_t acc = 0;
    for (int32_t y = y0; y < y1; ++y) {
        const int8_t *row = in + ((y * p->in_w) + x0) * p->channels;
        for (int32_t x = x0; x < x1; ++x) {
            acc += *row;
            row += p->channels;
        }
    }
    return acc;
}

void mnc_avg_pool_s8(const mnc_avg_pool_params_t *p, const int8_t *in, int8_t *out)
{
    for (int32_t oy = 0; oy < p->out_h; ++oy) {
        const int32_t y_origin = oy * p->stride_h - p->pad_top;
        const int32_t y0 = MNC_MAX(0, y_origin);
        const int32_t y1 = MNC_MIN(p->in_h, y_origin + p->kernel_h);
        for (int32_t ox = 0; ox < p->out_w; ++ox) {
            const int32_t x_origin = ox * p->stride_w - p->pad_left;
            const int32_t x0 = MNC_MAX(0, x_origin);
            const int32_t x1 = MNC_MIN(p->in_w, x_origin + p->kernel_w);
            const int32_t count = (y1 - y0) * (x1 - x0);
            for (int32_t c = 0; c < p->channels; ++c) {
                int32_t acc = window_sum(p, in + c, y0, y1, x0, x1);
                /* Divide rounding half away from zero, as the reference does. */
                acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                *out++ = mnc_clamp_s8(acc, p->act_min, p->act_max);
            }
        }
    }
}
