/* Convolution through Arm CMSIS-NN's arm_convolve_wrapper_s8 (NHWC input, OHWI weights).
 * The wrapper picks Arm's 1x1 / 1xN / im2col kernel for the core; `scratch_bytes` is what
 * arm_convolve_wrapper_s8_get_buffer_size returns for that core, computed at compile time. */
#ifndef MNC_CMSIS_CONV_S8_H
#define MNC_CMSIS_CONV_S8_H

#include <stdint.h>

typedef struct {
    int32_t in_h, in_w, in_c, out_h, out_w, out_c;
    int32_t kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w;
    int32_t input_offset, output_offset, act_min, act_max;
    int32_t scratch_bytes;           /* 0: CMSIS-NN gets no buffer (a NULL context buffer) */
    const int8_t *weights;
    const int32_t *bias, *multiplier, *shift;
} mnc_cmsis_conv_params_t;

void mnc_cmsis_conv_s8(const mnc_cmsis_conv_params_t *p, const int8_t *in, int8_t *out, int8_t *scratch);

#endif
