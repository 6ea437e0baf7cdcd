/* int8 elementwise add with broadcasting (TFLite reference_integer_ops::Add) for cores with the DSP
 * extension, the innermost axis contiguous or broadcast in each input (e.g. residual adds of equal
 * shapes). Same results as mnc_add_s8, bit for bit. */
#ifndef MNC_ADD_DSP_S8_H
#define MNC_ADD_DSP_S8_H

#include <stdint.h>

typedef struct {
    int32_t dim0, dim1, dim2, dim3;   /* output shape, padded to 4D */
    int32_t in0_stride0, in0_stride1, in0_stride2, in0_stride3;   /* 0 along broadcast axes; stride3 0 or 1 */
    int32_t in1_stride0, in1_stride1, in1_stride2, in1_stride3;
    int32_t in0_offset, in1_offset, output_offset;   /* minus input zero points; output zero point */
    int32_t left_shift;
    int32_t in0_multiplier, in0_shift;
    int32_t in1_multiplier, in1_shift;
    int32_t output_multiplier, output_shift;
    int32_t act_min, act_max;
} mnc_add_dsp_params_t;

void mnc_add_dsp_s8(const mnc_add_dsp_params_t *p, const int8_t *in0, const int8_t *in1, int8_t *out);

#endif
