/* Builds CMSIS-NN's parameter structs from mnc's compile-time constants and calls Arm's kernel. */
#include "mnc_cmsis_avg_pool_s8.h"

#include <stddef.h>

#include "arm_nnfunctions.h"

void mnc_cmsis_avg_pool_s8(const mnc_cmsis_avg_pool_params_t *p, const int8_t *in, int8_t *out, int8_t *scratch)
{
    const cmsis_nn_context ctx = {p->scratch_bytes > 0 ? (void *)scratch : NULL, p->scratch_bytes};
    const cmsis_nn_pool_params pool = {{p->stride_w, p->stride_h}, {p->pad_left, p->pad_top},
                                       {p->act_min, p->act_max}};
    const cmsis_nn_dims input = {1, p->in_h, p->in_w, p->channels};
    const cmsis_nn_dims filter = {1, p->kernel_h, p->kernel_w, 1};
    const cmsis_nn_dims output = {1, p->out_h, p->out_w, p->channels};
    (void)arm_avgpool_s8(&ctx, &pool, &input, in, &filter, &output, out);
}
