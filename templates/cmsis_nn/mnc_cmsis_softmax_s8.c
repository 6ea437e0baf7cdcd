/* Calls Arm's kernel with mnc's compile-time constants. */
#include "mnc_cmsis_softmax_s8.h"

#include "arm_nnfunctions.h"

void mnc_cmsis_softmax_s8(const mnc_cmsis_softmax_params_t *p, const int8_t *in, int8_t *out)
{
    arm_softmax_s8(in, p->rows, p->depth, p->input_multiplier, p->input_left_shift, p->diff_min, out);
}
