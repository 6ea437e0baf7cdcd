/* Fully connected: the input is unpacked once to int16 pairs, then each pair of outputs is one
 * SMLAD dot product over it (input offset folded into the bias at compile time). */
#include "mnc_fully_connected_dsp_s8.h"

#include "mnc_gemm_dsp_s8.h"

void mnc_fully_connected_dsp_s8(const mnc_fully_connected_dsp_params_t *p, const int8_t *in, int8_t *out,
                                int8_t *scratch)
{
    uint32_t *cols = (uint32_t *)(void *)scratch;
    const mnc_dsp_gemm_t g = {p->groups, p->out_size, p->output_offset, p->act_min, p->act_max,
                              p->fast_requant, p->weights, p->quant, p->shift};
    mnc_dsp_unpack(in, p->in_size, cols, 2);
    mnc_dsp_gemm_1px(&g, cols, out);
}
