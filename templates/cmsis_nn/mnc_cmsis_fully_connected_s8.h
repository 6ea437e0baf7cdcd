/* Fully connected through Arm CMSIS-NN: arm_fully_connected_s8 (one weight scale) or
 * arm_fully_connected_per_channel_s8. `kernel_sum` is what TFLite Micro's CMSIS-NN port computes
 * once in Prepare with arm_vector_sum_s8 for Helium cores (bias + input_offset * row sums of the
 * weights); mnc computes it at compile time. NULL on cores whose CMSIS-NN kernels do not read it. */
#ifndef MNC_CMSIS_FULLY_CONNECTED_S8_H
#define MNC_CMSIS_FULLY_CONNECTED_S8_H

#include <stdint.h>

typedef struct {
    int32_t in_size, out_size;
    int32_t input_offset, output_offset, act_min, act_max;
    int32_t per_channel;             /* 0: multiplier[0]/shift[0] for every output */
    const int8_t *weights;
    const int32_t *bias, *multiplier, *shift, *kernel_sum;
} mnc_cmsis_fully_connected_params_t;

void mnc_cmsis_fully_connected_s8(const mnc_cmsis_fully_connected_params_t *p, const int8_t *in, int8_t *out);

#endif
