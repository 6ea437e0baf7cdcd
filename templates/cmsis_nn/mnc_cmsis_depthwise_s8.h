/* Depthwise convolution through Arm CMSIS-NN's arm_depthwise_conv_wrapper_s8 (NHWC input, weights
 * [1, KH, KW, C * multiplier]); `scratch_bytes` as arm_depthwise_conv_wrapper_s8_get_buffer_size
 * returns it for the core. */
#ifndef MNC_CMSIS_DEPTHWISE_S8_H
#define MNC_CMSIS_DEPTHWISE_S8_H

#include <stdint.h>

typedef struct {
    int32_t in_h, in_w, in_c, out_h, out_w, out_c, depth_multiplier;
    int32_t kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left, dilation_h, dilation_w;
    int32_t input_offset, output_offset, act_min, act_max;
    int32_t scratch_bytes;
    const int8_t *weights;
    const int32_t *bias, *multiplier, *shift;
} mnc_cmsis_depthwise_params_t;

void mnc_cmsis_depthwise_s8(const mnc_cmsis_depthwise_params_t *p, const int8_t *in, int8_t *out,
                            int8_t *scratch);

#endif
