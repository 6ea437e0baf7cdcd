/* Pieces shared by the Helium depthwise kernels (mnc_depthwise_conv2d_mve_s8, mnc_depthwise_kxk_mve_s8):
 * 16 lane channels per block; a tap is a VMULLB/VMULLT pair (int8 x int8 -> int16, even and odd bytes),
 * two taps are summed in int16 (|x * w| <= 128 * 127 with no weight of -128, so a pair stays below
 * 2^15) before being widened into four int32 accumulators (VMOVLB/VMOVLT). The quantization records
 * follow that lane order (mnc/kernels/packing_mve.py depthwise_quant), and the four requantized sets
 * narrow back into byte order for one 16-byte store. */
#ifndef MNC_DW_MVE_S8_H
#define MNC_DW_MVE_S8_H

#include "mnc_requant_mve_s8.h"

/* acc[0..3] += two taps' products, summed in int16. */
static inline __attribute__((always_inline)) void mnc_dw_mve_pair(int8x16_t xa, int8x16_t wa, int8x16_t xb,
                                                                  int8x16_t wb, int32x4_t acc[4])
{
    const int16x8_t even = vaddq_s16(vmullbq_int_s8(xa, wa), vmullbq_int_s8(xb, wb));
    const int16x8_t odd = vaddq_s16(vmulltq_int_s8(xa, wa), vmulltq_int_s8(xb, wb));
    acc[0] = vaddq_s32(acc[0], vmovlbq_s16(even));
    acc[1] = vaddq_s32(acc[1], vmovltq_s16(even));
    acc[2] = vaddq_s32(acc[2], vmovlbq_s16(odd));
    acc[3] = vaddq_s32(acc[3], vmovltq_s16(odd));
}

static inline __attribute__((always_inline)) void mnc_dw_mve_single(int8x16_t x, int8x16_t w, int32x4_t acc[4])
{
    const int16x8_t even = vmullbq_int_s8(x, w);
    const int16x8_t odd = vmulltq_int_s8(x, w);
    acc[0] = vaddq_s32(acc[0], vmovlbq_s16(even));
    acc[1] = vaddq_s32(acc[1], vmovltq_s16(even));
    acc[2] = vaddq_s32(acc[2], vmovlbq_s16(odd));
    acc[3] = vaddq_s32(acc[3], vmovltq_s16(odd));
}

/* Requantize one block's four lane sets (records at q) into 16 outputs in byte order. */
static inline __attribute__((always_inline)) int32x4_t mnc_dw_mve_requant_set(int32x4_t acc, const int32_t *r,
                                                                             int right_only)
{
    return right_only ? mnc_mve_requantize_right(acc, vldrwq_s32(r + 4), vldrwq_s32(r + 12))
                      : mnc_mve_requantize(acc, vldrwq_s32(r + 4), vldrwq_s32(r + 8), vldrwq_s32(r + 12));
}

static inline __attribute__((always_inline)) int8x16_t mnc_dw_mve_requant(
        const int32x4_t acc[4], const int32_t *q, int right_only, int32_t output_offset, int32_t act_min,
        int32_t act_max)
{
    return mnc_mve_output16(mnc_dw_mve_requant_set(acc[0], q, right_only),
                            mnc_dw_mve_requant_set(acc[1], q + 16, right_only),
                            mnc_dw_mve_requant_set(acc[2], q + 32, right_only),
                            mnc_dw_mve_requant_set(acc[3], q + 48, right_only), output_offset,
                            vdupq_n_s8((int8_t)act_min), vdupq_n_s8((int8_t)act_max));
}

#endif
