/* Pointwise convolution as a GEMM: pairs of pixels are unpacked once to int16 and then multiplied
 * against every output channel pair (2 x 2 register blocking, SMLAD). The input offset is folded
 * into the bias at compile time, as in the portable kernel. */
#include "mnc_conv1x1_dsp_s8.h"

#include "mnc_gemm_dsp_s8.h"

static const int8_t *mnc_conv1x1_dsp_pixel(const mnc_conv1x1_dsp_params_t *p, const int8_t *in, int32_t pix)
{
    if (p->stride_h == 1 && p->stride_w == 1) {
        return in + pix * p->in_c;
    }
    const int32_t oy = pix / p->out_w;
    const int32_t ox = pix - oy * p->out_w;
    return in + (oy * p->stride_h * p->in_w + ox * p->stride_w) * p->in_c;
}

void mnc_conv1x1_dsp_s8(const mnc_conv1x1_dsp_params_t *p, const int8_t *in, int8_t *out, int8_t *scratch)
{
    uint32_t *cols = (uint32_t *)(void *)scratch;
    int8_t *discard = scratch + 16 * p->groups;   /* outputs of the phantom pixel of an odd count */
    const mnc_dsp_gemm_t g = {p->groups, p->out_c, p->output_offset, p->act_min, p->act_max,
                              p->fast_requant, p->weights, p->quant, p->shift};
    const int32_t pixels = p->out_h * p->out_w;
    int32_t pix = 0;
    for (; pix + 1 < pixels; pix += 2) {
        mnc_dsp_unpack(mnc_conv1x1_dsp_pixel(p, in, pix), p->in_c, cols, 4);
        mnc_dsp_unpack(mnc_conv1x1_dsp_pixel(p, in, pix + 1), p->in_c, cols + 2, 4);
        mnc_dsp_gemm_2px(&g, cols, out + pix * p->out_c, out + (pix + 1) * p->out_c);
    }
    if (pix < pixels) {
        const int8_t *x = mnc_conv1x1_dsp_pixel(p, in, pix);
        mnc_dsp_unpack(x, p->in_c, cols, 4);
        mnc_dsp_unpack(x, p->in_c, cols + 2, 4);
        mnc_dsp_gemm_2px(&g, cols, out + pix * p->out_c, discard);
    }
}
