/* See the header. Loop order: pixel pairs, then channel pairs, then the input channels. */
#include "mnc_conv1x1_v7m_s8.h"

#include "mnc_gemm_v7m_s8.h"

static inline __attribute__((always_inline)) void mnc_conv1x1_v7m_run(const mnc_conv1x1_v7m_params_t *p,
        const int8_t *x, int8_t *y, int fast)
{
    const mnc_v7m_out_t o = {1 + 2 * p->output_offset, p->output_offset, p->act_min, p->act_max};
    const int32_t n = p->in_c, out_c = p->out_c;
    for (int32_t px = 0; px < p->pixels; px += 2) {
        const int8_t *x0 = x + px * n;
        const int two = px + 1 < p->pixels;
        int8_t *y0 = y + px * out_c;
        /* a last odd pixel is computed twice (x1 = x0) and stored once */
        mnc_v7m_pixels2(x0, two ? x0 + n : x0, n, p->weights, p->quant, out_c, y0, y0 + out_c, two, &o, fast);
    }
}

void mnc_conv1x1_v7m_s8(const mnc_conv1x1_v7m_params_t *p, const int8_t *x, int8_t *y)
{
    if (p->fast_requant) {
        mnc_conv1x1_v7m_run(p, x, y, 1);
    } else {
        mnc_conv1x1_v7m_run(p, x, y, 0);
    }
}
