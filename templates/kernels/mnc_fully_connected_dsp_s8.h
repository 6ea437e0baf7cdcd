/* int8 fully connected layer for cores with the DSP extension; bit-exact with mnc_fully_connected_s8. */
#ifndef MNC_FULLY_CONNECTED_DSP_S8_H
#define MNC_FULLY_CONNECTED_DSP_S8_H

#include <stdint.h>

typedef struct {
    int32_t in_size, out_size;
    int32_t groups;                   /* ceil(in_size / 4) */
    int32_t output_offset;            /* output_zero_point */
    int32_t act_min, act_max;
    int32_t fast_requant;             /* 1: compile time proved the fast requantization exact */
    const int32_t *weights;           /* int8 x 4 per word: [ceil(out_size / 2)][groups][2] (mnc_gemm_dsp_s8.h) */
    const int32_t *quant;             /* [out rounded up to even][2]: bias + input_offset * sum(w), multiplier */
    const int8_t *shift;              /* [out rounded up to even]: right shift - 1 (-TFLite shift - 1) */
} mnc_fully_connected_dsp_params_t;

/* scratch: 8 * groups bytes, 4-byte aligned. */
void mnc_fully_connected_dsp_s8(const mnc_fully_connected_dsp_params_t *p, const int8_t *in, int8_t *out,
                                int8_t *scratch);

#endif
