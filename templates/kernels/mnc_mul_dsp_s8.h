/* int8 elementwise multiply with broadcasting (TFLite reference_integer_ops::Mul) for cores with the DSP
 * extension, the innermost axis contiguous or broadcast in each input (e.g. squeeze-excite's
 * [1,H,W,C] * [1,1,1,C]). Same results as mnc_mul_s8, bit for bit. */
#ifndef MNC_MUL_DSP_S8_H
#define MNC_MUL_DSP_S8_H

#include <stdint.h>

typedef struct {
    int32_t dim0, dim1, dim2, dim3;   /* output shape, padded to 4D */
    int32_t in0_stride0, in0_stride1, in0_stride2, in0_stride3;   /* 0 along broadcast axes; stride3 0 or 1 */
    int32_t in1_stride0, in1_stride1, in1_stride2, in1_stride3;
    int32_t in0_offset, in1_offset, output_offset;   /* minus input zero points; output zero point */
    int32_t output_multiplier, output_shift;
    int32_t act_min, act_max;
} mnc_mul_dsp_params_t;

void mnc_mul_dsp_s8(const mnc_mul_dsp_params_t *p, const int8_t *in0, const int8_t *in1, int8_t *out);

#endif
