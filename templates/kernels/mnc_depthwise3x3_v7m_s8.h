/* 3x3 depthwise convolution (depth multiplier 1, dilation 1, any stride and padding) for ARMv7-M cores
 * without the DSP extension. Per channel the 9 weights are contiguous (laid out [channel][tap] at compile
 * time) beside its {bias, multiplier, shift} record, so one pointer walks both; the input offset is folded
 * into the bias, so taps in the padding read the input zero point (adding exactly 0, as TFLite's skipped
 * taps do): a pixel whose window reaches into the padding has its window copied into scratch with the
 * padding filled in. Pairs of horizontally adjacent pixels whose windows lie inside the input take a
 * branch-free path: per tap the two pixels' inputs are packed into one word (x0 + x1 * 2^21) and one SMLAL
 * adds both products into a 64-bit accumulator (exact: a pixel's sum stays below 2^20); a single such
 * pixel takes two LDRSB and one MLA per tap. */
#ifndef MNC_DEPTHWISE3X3_V7M_S8_H
#define MNC_DEPTHWISE3X3_V7M_S8_H

#include <stdint.h>

typedef struct {
    int32_t in_h, in_w, channels, out_h, out_w;
    int32_t stride_h, stride_w, pad_top, pad_left;
    int32_t input_zero_point, output_offset, act_min, act_max;
    int32_t fast_requant;            /* 1: every channel meets the short requantization's conditions */
    const int8_t *weights;           /* [channels][9]: taps in row-major order */
    const int32_t *quant;            /* [channels][3]: bias (input offset folded in), multiplier, shift */
} mnc_depthwise3x3_v7m_params_t;

/* scratch: 9 * channels bytes (the window of a pixel at the border, padding filled in) */
void mnc_depthwise3x3_v7m_s8(const mnc_depthwise3x3_v7m_params_t *p, const int8_t *x, int8_t *y, int8_t *scratch);

#endif
