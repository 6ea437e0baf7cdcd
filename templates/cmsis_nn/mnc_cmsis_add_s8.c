/* Calls Arm's kernel with mnc's compile-time constants. */
#include "mnc_cmsis_add_s8.h"

#include "arm_nnfunctions.h"

void mnc_cmsis_add_s8(const mnc_cmsis_add_params_t *p, const int8_t *in0, const int8_t *in1, int8_t *out)
{
    (void)arm_elementwise_add_s8(in0, in1, p->in0_offset, p->in0_multiplier, p->in0_shift, p->in1_offset,
                                 p->in1_multiplier, p->in1_shift, p->left_shift, out, p->output_offset,
                                 p->output_multiplier, p->output_shift, p->act_min, p->act_max, p->size);
}
