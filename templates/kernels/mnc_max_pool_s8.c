#include "mnc_max_pool_s8.h"
#include "mnc_common.h"

void mnc_max_pool_s8(const mnc_max_pool_params_t *p, const int8_t *in, int8_t *out)
{
    for (int32_t oy = 0; oy < p->out_h; ++oy) {
        const int32_t y_origin = oy * p->stride_h - p->pad_top;
        const int32_t y0 = MNC_MAX(0, y_origin);
        const int32_t y1 = MNC_MIN(p->in_h, y_origin + p->kernel_h);
        for (int32_t ox = 0; ox < p->out_w; ++ox) {
            const int32_t x_origin = ox * p->stride_w - p->pad_left;
            const int32_t x0 = MNC_MAX(0, x_origin);
            const int32_t x1 = MNC_MIN(p->in_w, x_origin + p->kernel_w);
            for (int32_t c = 0; c < p->channels; ++c) {
                int32_t best = INT8_MIN;
                for (int32_t y = y0; y < y1; ++y) {
                    const int8_t *px = in + ((y * p->in_w) + x0) * p->channels + c;
                    for (int32_t x = x0; x < x1; ++x) {
                        best = MNC_MAX(best, (int32_t)*px);
                        px += p->channels;
                    }
                }
                *out++ = mnc_clamp_s8(best, p->act_min, p->act_max);
            }
        }
    }
}
