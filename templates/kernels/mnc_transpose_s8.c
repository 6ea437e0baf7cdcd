/* Transpose as a gather: the output is written in order, each element read through the input
 * strides of the axes the permutation maps to it. Bytes only, so int8 is exact by construction. */
#include "mnc_transpose_s8.h"

void mnc_transpose_s8(const mnc_transpose_params_t *p, const int8_t *in, int8_t *out)
{
    for (int32_t a = 0; a < p->out_dim0; a++) {
        const int8_t *plane = in + a * p->in_stride0;
        for (int32_t b = 0; b < p->out_dim1; b++) {
            const int8_t *row = plane + b * p->in_stride1;
            for (int32_t c = 0; c < p->out_dim2; c++) {
                const int8_t *src = row + c * p->in_stride2;
                for (int32_t d = 0; d < p->out_dim3; d++) {
                    *out++ = src[d * p->in_stride3];
                }
            }
        }
    }
}
