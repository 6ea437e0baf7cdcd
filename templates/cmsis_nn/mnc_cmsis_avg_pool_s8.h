/* Average pooling through Arm CMSIS-NN's arm_avgpool_s8 (input and output share quantization). */
#ifndef MNC_CMSIS_AVG_POOL_S8_H
#define MNC_CMSIS_AVG_POOL_S8_H

#include <stdint.h>

typedef struct {
    int32_t in_h, in_w, channels, out_h, out_w;
    int32_t kernel_h, kernel_w, stride_h, stride_w, pad_top, pad_left;
    int32_t act_min, act_max;
    int32_t scratch_bytes;
} mnc_cmsis_avg_pool_params_t;

void mnc_cmsis_avg_pool_s8(const mnc_cmsis_avg_pool_params_t *p, const int8_t *in, int8_t *out, int8_t *scratch);

#endif
