/* Builds CMSIS-NN's parameter structs from mnc's compile-time constants and calls Arm's kernel.
 * CMSIS-NN's quantization struct takes non-const pointers but only reads them. */
#include "mnc_cmsis_conv_s8.h"

#include <stddef.h>

#include "arm_nnfunctions.h"

void mnc_cmsis_conv_s8(const mnc_cmsis_conv_params_t *p, const int8_t *in, int8_t *out, int8_t *scratch)
{
    const cmsis_nn_context ctx = {p->scratch_bytes > 0 ? (void *)scratch : NULL, p->scratch_bytes};
    const cmsis_nn_conv_params conv = {p->input_offset, p->output_offset, {p->stride_w, p->stride_h},
                                       {p->pad_left, p->pad_top}, {p->dilation_w, p->dilation_h},
                                       {p->act_min, p->act_max}};
    const cmsis_nn_per_channel_quant_params quant = {(int32_t *)p->multiplier, (int32_t *)p->shift};
    const cmsis_nn_dims input = {1, p->in_h, p->in_w, p->in_c};
    const cmsis_nn_dims filter = {p->out_c, p->kernel_h, p->kernel_w, p->in_c};
    const cmsis_nn_dims bias = {1, 1, 1, p->out_c};
    const cmsis_nn_dims output = {1, p->out_h, p->out_w, p->out_c};
    (void)arm_convolve_wrapper_s8(&ctx, &conv, &quant, &input, in, &filter, p->weights, &bias, p->bias,
                                  &output, out);
}
