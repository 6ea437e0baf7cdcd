/* Pointwise convolution as a GEMM on Helium (mnc_gemm_mve_s8.h): blocks of four pixels, each read in
 * place as a row of in_c bytes against weights zero padded to a multiple of 16, so a row's 16-byte
 * loads may run past its pixel into the next one (times zero weights). Only at the end of the input
 * could they run past the tensor: those blocks are copied into the scratch first. The input offset is
 * folded into the bias at compile time. */
#include "mnc_conv1x1_mve_s8.h"

#include "mnc_gemm_mve_s8.h"

/* Byte offset of output pixel pix's input pixel. */
static int32_t mnc_conv1x1_mve_pixel(const mnc_conv1x1_mve_params_t *p, int32_t pix)
{
    if (p->stride_h == 1 && p->stride_w == 1) {
        return pix * p->in_c;
    }
    const int32_t oy = pix / p->out_w;
    const int32_t ox = pix - oy * p->out_w;
    return (oy * p->stride_h * p->in_w + ox * p->stride_w) * p->in_c;
}

/* Full blocks of a stride-1 layer that read in place: the last row's 16-byte loads stay inside. */
static int32_t mnc_conv1x1_mve_inner_blocks(const mnc_conv1x1_mve_params_t *p, int32_t k16, int32_t in_bytes)
{
    const int32_t full = p->out_h * p->out_w / MNC_GEMM_MVE_PIXELS;
    if (p->stride_h != 1 || p->stride_w != 1 || in_bytes < 3 * p->in_c + k16) {
        return 0;
    }
    /* block b reads up to (4b + 3) * in_c + k16 */
    return MNC_MIN(full, (in_bytes - 3 * p->in_c - k16) / (MNC_GEMM_MVE_PIXELS * p->in_c) + 1);
}

void mnc_conv1x1_mve_s8(const mnc_conv1x1_mve_params_t *p, const int8_t *in, int8_t *out, int8_t *scratch)
{
    const int32_t k16 = (p->in_c + 15) & ~15;
    const int32_t in_bytes = p->in_h * p->in_w * p->in_c;
    const int32_t pixels = p->out_h * p->out_w;
    mnc_gemm_mve_t g;
    mnc_gemm_mve_init(&g, p->weights, p->quant, p->out_c, k16, p->output_offset, p->act_min, p->act_max);
    const int32_t inner = mnc_conv1x1_mve_inner_blocks(p, k16, in_bytes);
    if (inner > 0) {
        mnc_gemm_mve_strided(&g, in, p->in_c, out, inner);
        mnc_gemm_mve_run(&g, p->right_shift_only);
    }
    /* The rest block by block: strided layers, and the last blocks (copied if they would read past the
     * input, the last one perhaps short). */
    for (int32_t pix = inner * MNC_GEMM_MVE_PIXELS; pix < pixels; pix += MNC_GEMM_MVE_PIXELS) {
        const int32_t rows = MNC_MIN(MNC_GEMM_MVE_PIXELS, pixels - pix);
        int32_t at[MNC_GEMM_MVE_PIXELS];
        for (int32_t j = 0; j < rows; j++) {
            at[j] = mnc_conv1x1_mve_pixel(p, pix + j);
            g.x[j] = in + at[j];
        }
        if (at[rows - 1] + k16 > in_bytes) {
            for (int32_t j = 0; j < rows; j++) {
                mnc_gemm_mve_copy(scratch + j * k16, g.x[j], p->in_c);
                g.x[j] = scratch + j * k16;
            }
        }
        if (rows < MNC_GEMM_MVE_PIXELS) {
            mnc_gemm_mve_repeat_last(&g, rows);
        }
        g.out = out + pix * p->out_c;
        g.blocks = 1;
        mnc_gemm_mve_run(&g, p->right_shift_only);
    }
}
