/* int8 mean over H, W of a [1,H,W,C] tensor (TFLite Micro MEAN). */
#ifndef MNC_MEAN_S8_H
#define MNC_MEAN_S8_H

#include <stdint.h>

typedef struct {
    int32_t count;        /* elements averaged per channel (H * W) */
    int32_t channels;
    int32_t input_zp, output_zp;
    int32_t multiplier, shift;   /* in_scale / out_scale with 1 / count folded in */
} mnc_mean_params_t;

void mnc_mean_s8(const mnc_mean_params_t *p, const int8_t *in, int8_t *out);

#endif
