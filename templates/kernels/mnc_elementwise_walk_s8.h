/* The 4-D walk of TFLite's broadcasting Add/Mul reference for kernels that process a whole innermost row
 * at a time (mnc_add_dsp_s8, mnc_mul_dsp_s8). Each input's innermost stride is 1 (contiguous) or 0 (one
 * value repeated: a broadcast scalar along the row); the descriptors pick these kernels only then. */
#ifndef MNC_ELEMENTWISE_WALK_S8_H
#define MNC_ELEMENTWISE_WALK_S8_H

#include <stdint.h>

/* Calls row(a, b, y, n, contiguous_a, contiguous_b) for every innermost row of the 4-D output, with the
 * two contiguity flags as constants (four specialised copies of the row loop). */
#define MNC_EW_WALK(p, in0, in1, out, row)                                                                    \
    do {                                                                                                      \
        const int ca_ = (p)->in0_stride3 != 0, cb_ = (p)->in1_stride3 != 0;                                   \
        int8_t *y_ = (out);                                                                                   \
        for (int32_t i0 = 0; i0 < (p)->dim0; ++i0) {                                                          \
            for (int32_t i1 = 0; i1 < (p)->dim1; ++i1) {                                                      \
                for (int32_t i2 = 0; i2 < (p)->dim2; ++i2, y_ += (p)->dim3) {                                 \
                    const int8_t *a_ = (in0) + i0 * (p)->in0_stride0 + i1 * (p)->in0_stride1 +                \
                                       i2 * (p)->in0_stride2;                                                 \
                    const int8_t *b_ = (in1) + i0 * (p)->in1_stride0 + i1 * (p)->in1_stride1 +                \
                                       i2 * (p)->in1_stride2;                                                 \
                    if (ca_ && cb_) {                                                                         \
                        row(a_, b_, y_, (p)->dim3, 1, 1);                                                     \
                    } else if (ca_) {                                                                         \
                        row(a_, b_, y_, (p)->dim3, 1, 0);                                                     \
                    } else if (cb_) {                                                                         \
                        row(a_, b_, y_, (p)->dim3, 0, 1);                                                     \
                    } else {                                                                                  \
                        row(a_, b_, y_, (p)->dim3, 0, 0);                                                     \
                    }                                                                                         \
                }                                                                                             \
            }                                                                                                 \
        }                                                                                                     \
    } while (0)

#endif
