/* Any permutation of the axes of an int8 tensor of rank <= 4 (lower ranks get leading 1s). */
#ifndef MNC_TRANSPOSE_S8_H
#define MNC_TRANSPOSE_S8_H

#include <stdint.h>

typedef struct {
    int32_t out_dim0, out_dim1, out_dim2, out_dim3;           /* output shape, padded to 4D */
    int32_t in_stride0, in_stride1, in_stride2, in_stride3;   /* input element stride of the axis
                                                                 each output axis reads */
} mnc_transpose_params_t;

void mnc_transpose_s8(const mnc_transpose_params_t *p, const int8_t *in, int8_t *out);

#endif
