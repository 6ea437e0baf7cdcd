/* The walk shared by the Helium elementwise kernels (mnc_add_mve_s8, mnc_mul_mve_s8): the 4-D output
 * row by row (one row when neither input broadcasts: the whole tensor); along a row (the innermost
 * axis) four elements per step as int32 lanes, widened on load and narrowed on store, the row's tail
 * under a lane predicate. An input with stride 0 along the row is one value, duplicated. */
#ifndef MNC_BINARY_MVE_S8_H
#define MNC_BINARY_MVE_S8_H

#include "mnc_requant_mve_s8.h"

/* One input's or the output's requantization: TFLite's MultiplyByQuantizedMultiplier with the signed
 * shift split into a left shift (>= 0) and a negated right shift (<= 0). */
typedef struct {
    int32_t multiplier, left, neg_right;
} mnc_binary_mve_scale_t;

static inline mnc_binary_mve_scale_t mnc_binary_mve_scale(int32_t multiplier, int32_t shift)
{
    const mnc_binary_mve_scale_t s = {multiplier, shift > 0 ? shift : 0, shift > 0 ? 0 : shift};
    return s;
}

static inline int32x4_t mnc_binary_mve_requantize(int32x4_t x, mnc_binary_mve_scale_t s)
{
    return mnc_mve_requantize_n(x, s.multiplier, s.left, s.neg_right);
}

/* Four elements of a row from p (contiguous) or its one value (broadcast), lanes past n zero. */
static inline int32x4_t mnc_binary_mve_load(const int8_t *p, int32_t contiguous, mve_pred16_t on)
{
    return contiguous ? vldrbq_z_s32(p, on) : vdupq_n_s32(*p);
}

/* Whether an input with these strides is the output's dense layout (size-1 axes have stride 0). */
static inline int mnc_binary_mve_dense(int32_t d1, int32_t d2, int32_t d3, int32_t s0, int32_t s1, int32_t s2,
                                       int32_t s3, int32_t d0)
{
    return (d3 == 1 || s3 == 1) && (d2 == 1 || s2 == d3) && (d1 == 1 || s1 == d2 * d3) &&
           (d0 == 1 || s0 == d1 * d2 * d3);
}

/* For each output row: a and b at the row's first elements of in0 and in1, out at the row, `n` its
 * length, `ca` and `cb` whether a and b are contiguous along it (else broadcast). Without
 * broadcasting, the whole tensor is one contiguous row. */
#define MNC_BINARY_MVE_ROWS(p, in0, in1, out, row_body)                                                    \
    if (mnc_binary_mve_dense((p)->dim1, (p)->dim2, (p)->dim3, (p)->in0_stride0, (p)->in0_stride1,         \
                             (p)->in0_stride2, (p)->in0_stride3, (p)->dim0) &&                            \
        mnc_binary_mve_dense((p)->dim1, (p)->dim2, (p)->dim3, (p)->in1_stride0, (p)->in1_stride1,         \
                             (p)->in1_stride2, (p)->in1_stride3, (p)->dim0)) {                            \
        const int8_t *a = (in0), *b = (in1);                                                              \
        const int32_t n = (p)->dim0 * (p)->dim1 * (p)->dim2 * (p)->dim3, ca = 1, cb = 1;                  \
        row_body                                                                                          \
        return;                                                                                           \
    }                                                                                                     \
    for (int32_t i0 = 0; i0 < (p)->dim0; ++i0) {                                                          \
        for (int32_t i1 = 0; i1 < (p)->dim1; ++i1) {                                                      \
            for (int32_t i2 = 0; i2 < (p)->dim2; ++i2, (out) += (p)->dim3) {                              \
                const int8_t *a = (in0) + i0 * (p)->in0_stride0 + i1 * (p)->in0_stride1 + i2 * (p)->in0_stride2; \
                const int8_t *b = (in1) + i0 * (p)->in1_stride0 + i1 * (p)->in1_stride1 + i2 * (p)->in1_stride2; \
                const int32_t n = (p)->dim3, ca = (p)->in0_stride3, cb = (p)->in1_stride3;                \
                row_body                                                                                  \
            }                                                                                             \
        }                                                                                                 \
    }

#endif
