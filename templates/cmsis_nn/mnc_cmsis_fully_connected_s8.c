/* Builds CMSIS-NN's parameter structs from mnc's compile-time constants and calls Arm's kernel. */
#include "mnc_cmsis_fully_connected_s8.h"

#include <stddef.h>

#include "arm_nnfunctions.h"

void mnc_cmsis_fully_connected_s8(const mnc_cmsis_fully_connected_params_t *p, const int8_t *in, int8_t *out)
{
    const cmsis_nn_context ctx = {(void *)p->kernel_sum, p->kernel_sum != NULL ? p->out_size * 4 : 0};
    const cmsis_nn_fc_params fc = {p->input_offset, 0, p->output_offset, {p->act_min, p->act_max}};
    const cmsis_nn_dims input = {1, 1, 1, p->in_size};
    const cmsis_nn_dims filter = {p->in_size, 1, 1, p->out_size};
    const cmsis_nn_dims bias = {1, 1, 1, p->out_size};
    const cmsis_nn_dims output = {1, 1, 1, p->out_size};
    if (p->per_channel) {
        const cmsis_nn_per_channel_quant_params quant = {(int32_t *)p->multiplier, (int32_t *)p->shift};
        (void)arm_fully_connected_per_channel_s8(&ctx, &fc, &quant, &input, in, &filter, p->weights, &bias,
                                                 p->bias, &output, out);
    } else {
        const cmsis_nn_per_tensor_quant_params quant = {p->multiplier[0], p->shift[0]};
        (void)arm_fully_connected_s8(&ctx, &fc, &quant, &input, in, &filter, p->weights, &bias, p->bias,
                                     &output, out);
    }
}
