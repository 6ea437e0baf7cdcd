/* Constant padding of an int8 NHWC tensor (ranks below 4 are given leading 1s by the compiler). */
#ifndef MNC_PAD_S8_H
#define MNC_PAD_S8_H

#include <stdint.h>

typedef struct {
    int32_t in_n, in_h, in_w, in_c;
    int32_t n_before, n_after;
    int32_t h_before, h_after;
    int32_t w_before, w_after;
    int32_t c_before, c_after;
    int32_t pad_value;                /* the (shared) zero point: real 0 */
} mnc_pad_params_t;

void mnc_pad_s8(const mnc_pad_params_t *p, const int8_t *in, int8_t *out);

#endif
