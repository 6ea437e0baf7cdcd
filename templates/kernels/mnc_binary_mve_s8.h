/* The walk shared by the Helium elementwise kernels (mnc_add_mve_s8, mnc_mul_mve_s8): the 4-D output
 * row by row; along a row (the innermost axis) four elements per step as int32 lanes, widened on
 * load and narrowed on store, the row's tail under a lane predicate. An input with stride 0 along
 * the row is one value, duplicated. */
#ifndef MNC_BINARY_MVE_S8_H
#define MNC_BINARY_MVE_S8_H

#include "mnc_requant_mve_s8.h"

/* Four elements of a row from p (contiguous) or its one value (broadcast), lanes past n zero. */
static inline int32x4_t mnc_binary_mve_load(const int8_t *p, int32_t contiguous, mve_pred16_t on)
{
    return contiguous ? vldrbq_z_s32(p, on) : vdupq_n_s32(*p);
}

/* TFLite MultiplyByQuantizedMultiplier with a signed shift (positive = left), one set for all lanes. */
static inline int32x4_t mnc_binary_mve_requantize(int32x4_t x, int32_t multiplier, int32_t shift)
{
    return mnc_mve_requantize_n(x, multiplier, shift > 0 ? shift : 0, shift > 0 ? 0 : shift);
}

/* + output zero point, clamp, narrow to int8 and store the active lanes. */
static inline void mnc_binary_mve_store(int8_t *out, int32x4_t raw, int32_t offset, int32_t lo, int32_t hi,
                                        mve_pred16_t on)
{
    vstrbq_p_s32(out, mnc_mve_output(raw, offset, vdupq_n_s32(lo), vdupq_n_s32(hi)), on);
}

/* for each output row: a and b at the row's first elements of in0 and in1, out at the output row */
#define MNC_BINARY_MVE_ROWS(p, in0, in1, out, row_body)                                                    \
    for (int32_t i0 = 0; i0 < (p)->dim0; ++i0) {                                                          \
        for (int32_t i1 = 0; i1 < (p)->dim1; ++i1) {                                                      \
            for (int32_t i2 = 0; i2 < (p)->dim2; ++i2, (out) += (p)->dim3) {                              \
                const int8_t *a = (in0) + i0 * (p)->in0_stride0 + i1 * (p)->in0_stride1 + i2 * (p)->in0_stride2; \
                const int8_t *b = (in1) + i0 * (p)->in1_stride0 + i1 * (p)->in1_stride1 + i2 * (p)->in1_stride2; \
                row_body                                                                                  \
            }                                                                                             \
        }                                                                                                 \
    }

#endif
