/* int8 fully connected layer (TFLite reference FullyConnected / FullyConnectedPerChannel). */
#ifndef MNC_FULLY_CONNECTED_S8_H
#define MNC_FULLY_CONNECTED_S8_H

#include <stdint.h>

typedef struct {
    int32_t in_size, out_size;
    int32_t input_offset;             /* -input_zero_point */
    int32_t output_offset;            /* output_zero_point */
    int32_t act_min, act_max;
    const int8_t *weights;            /* [out_size][in_size] */
    const int32_t *bias;              /* [out_size] */
    const int32_t *multiplier;        /* [out_size] (one value repeated for per-tensor weights) */
    const int32_t *shift;             /* [out_size], signed, positive = left */
} mnc_fully_connected_params_t;

void mnc_fully_connected_s8(const mnc_fully_connected_params_t *p, const int8_t *in, int8_t *out);

#endif
