/* The int8 GEMM core shared by the DSP pointwise, general convolution and fully connected kernels.
 *
 * Columns (input pixels) are unpacked once into int16 pairs: a group of 4 int8 values k0..k3 becomes
 * the words [k0, k2] and [k1, k3] (SXTB16 and SXTB16 ROR 8). Weights stay int8 in flash, re-laid at
 * compile time as [out_c / 2][groups][2 channels][4 bytes] and unpacked with the same two instructions,
 * so the lane permutation is identical on both sides and SMLAD sums the right products.
 * A two-pixel column buffer interleaves the pixels per group: [x0 k02, x0 k13, x1 k02, x1 k13]. */
#ifndef MNC_GEMM_DSP_S8_H
#define MNC_GEMM_DSP_S8_H

#include "mnc_requant_dsp_s8.h"

typedef struct {
    int32_t groups;                   /* reduction length padded to a multiple of 4, divided by 4 */
    int32_t out_c;
    int32_t output_offset, act_min, act_max;
    int32_t fast_requant;
    const int32_t *weights;           /* int8 x 4 per word: [ceil(out_c / 2)][groups][2], zero padded */
    const int32_t *quant;             /* [out_c rounded up to even][2]: bias, multiplier */
    const int8_t *shift;              /* [out_c rounded up to even]: right shift - 1 */
} mnc_dsp_gemm_t;

/* n int8 values -> words `stride` apart from dst (one pixel slot of a column buffer); values past n
 * up to the group boundary are zero (their weights are zero too). */
static inline void mnc_dsp_unpack(const int8_t *x, int32_t n, uint32_t *dst, int32_t stride)
{
    int32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const uint32_t v = mnc_load_u32(x + i);
        dst[0] = (uint32_t)__sxtb16(v);
        dst[1] = (uint32_t)mnc_sxtb16_hi(v);
        dst += stride;
    }
    if (i < n) {
        uint8_t tail[4] = {0, 0, 0, 0};
        memcpy(tail, x + i, (size_t)(n - i));
        const uint32_t v = mnc_load_u32(tail);
        dst[0] = (uint32_t)__sxtb16(v);
        dst[1] = (uint32_t)mnc_sxtb16_hi(v);
    }
}

/* A 64-bit view of column and weight words: lets GCC use LDRD (memcpy would split it into unaligned
 * LDRs). Both are 8-byte aligned in generated code; LDRD itself only needs word alignment on M-profile. */
typedef uint64_t __attribute__((may_alias)) mnc_u64_words_t;

/* Two words from a 4-byte aligned address (LDRD). */
static inline void mnc_load_pair(const uint32_t *p, uint32_t *lo, uint32_t *hi)
{
    const uint64_t v = *(const mnc_u64_words_t *)(const void *)p;
    *lo = (uint32_t)v;
    *hi = (uint32_t)(v >> 32);
}

/* One group of 4 reduction values, 2 pixels x 2 channels: 3 LDRD, 4 SXTB16, 8 SMLAD. Written in
 * assembly because GCC 12 neither pairs these loads into LDRD nor keeps the 2 x 2 block in registers
 * without spilling. Advances x by 4 column words and w by 2 weight words. */
#define MNC_DSP_MAC_2X2(x, w, a00, a01, a10, a11)                                                  \
    do {                                                                                         \
        uint32_t w0_, w1_, t0_, t1_, xa_, xb_;                                                   \
        __asm__("ldrd %[w0], %[w1], [%[wp]], #8\n\t"                                             \
                "ldrd %[xa], %[xb], [%[xp]], #8\n\t"                                             \
                "sxtb16 %[t0], %[w0], ror #8\n\t"                                                \
                "sxtb16 %[w0], %[w0]\n\t"                                                        \
                "sxtb16 %[t1], %[w1], ror #8\n\t"                                                \
                "sxtb16 %[w1], %[w1]\n\t"                                                        \
                "smlad %[a00], %[xa], %[w0], %[a00]\n\t"                                         \
                "smlad %[a00], %[xb], %[t0], %[a00]\n\t"                                         \
                "smlad %[a01], %[xa], %[w1], %[a01]\n\t"                                         \
                "smlad %[a01], %[xb], %[t1], %[a01]\n\t"                                         \
                "ldrd %[xa], %[xb], [%[xp]], #8\n\t"                                             \
                "smlad %[a10], %[xa], %[w0], %[a10]\n\t"                                         \
                "smlad %[a10], %[xb], %[t0], %[a10]\n\t"                                         \
                "smlad %[a11], %[xa], %[w1], %[a11]\n\t"                                         \
                "smlad %[a11], %[xb], %[t1], %[a11]"                                             \
                : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11),             \
                  [wp] "+r"(w), [xp] "+r"(x), [w0] "=&r"(w0_), [w1] "=&r"(w1_), [t0] "=&r"(t0_),   \
                  [t1] "=&r"(t1_), [xa] "=&r"(xa_), [xb] "=&r"(xb_)                                \
                :                                                                                \
                : "memory");                                                                     \
    } while (0)

/* acc[0..3] += (pixel 0, channel 0), (pixel 0, channel 1), (pixel 1, channel 0), (pixel 1, channel 1).
 * Two groups per iteration halve the loop overhead. */
static inline void mnc_dsp_dot_2x2(const uint32_t *cols, const uint32_t *w, int32_t groups, int32_t acc[4])
{
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
    const uint32_t *end = cols + 4 * groups;
    if (groups & 1) {
        MNC_DSP_MAC_2X2(cols, w, a00, a01, a10, a11);
    }
    while (cols < end) {
        MNC_DSP_MAC_2X2(cols, w, a00, a01, a10, a11);
        MNC_DSP_MAC_2X2(cols, w, a00, a01, a10, a11);
    }
    acc[0] = a00;
    acc[1] = a01;
    acc[2] = a10;
    acc[3] = a11;
}

/* acc[0..1] += channels 0 and 1 of one pixel (column words 2 per group). */
static inline void mnc_dsp_dot_1x2(const uint32_t *cols, const uint32_t *w, int32_t groups, int32_t acc[2])
{
    int32_t a0 = acc[0], a1 = acc[1];
    const uint32_t *end = cols + 2 * groups;
    while (cols < end) {
        uint32_t w0, w1, xl, xh;
        mnc_load_pair(w, &w0, &w1);
        mnc_load_pair(cols, &xl, &xh);
        a0 = __smlad((int32_t)xl, __sxtb16(w0), a0);
        a0 = __smlad((int32_t)xh, mnc_sxtb16_hi(w0), a0);
        a1 = __smlad((int32_t)xl, __sxtb16(w1), a1);
        a1 = __smlad((int32_t)xh, mnc_sxtb16_hi(w1), a1);
        w += 2;
        cols += 2;
    }
    acc[0] = a0;
    acc[1] = a1;
}

/* The four outputs of one channel pair (channel 1 is not stored when `pair` is 0). The multipliers
 * and shifts are read after the dot products, when the temporaries of the MAC loop are free: `restrict`
 * on the outputs tells GCC the int8 stores do not alias them, so nothing is spilled to the stack. */
static inline __attribute__((always_inline)) void mnc_dsp_gemm_2x2(const uint32_t *cols, const uint32_t *w,
        int32_t groups, const int32_t *q, const int8_t *sh, const mnc_dsp_out_t *o, int8_t *restrict y0,
        int8_t *restrict y1, int pair, int fast, int full)
{
    int32_t acc[4] = {q[0], q[2], q[0], q[2]};
    mnc_dsp_dot_2x2(cols, w, groups, acc);
    const int32_t m0 = q[1], s0 = sh[0];
    const int32_t r00 = mnc_dsp_output(acc[0], m0, s0, o, fast, full, 0);
    const int32_t r10 = mnc_dsp_output(acc[2], m0, s0, o, fast, full, 0);
    y0[0] = (int8_t)r00;
    y1[0] = (int8_t)r10;
    if (pair) {
        const int32_t m1 = q[3], s1 = sh[1];
        const int32_t r01 = mnc_dsp_output(acc[1], m1, s1, o, fast, full, 0);
        const int32_t r11 = mnc_dsp_output(acc[3], m1, s1, o, fast, full, 0);
        y0[1] = (int8_t)r01;
        y1[1] = (int8_t)r11;
    }
}

static inline __attribute__((always_inline)) void mnc_dsp_gemm_2px_body(const mnc_dsp_gemm_t *g,
        const uint32_t *cols, int8_t *restrict y0, int8_t *restrict y1, int fast, int full)
{
    const uint32_t *w = (const uint32_t *)(const void *)g->weights;   /* same type but for signedness */
    const int32_t *q = g->quant;
    const int8_t *sh = g->shift;
    const mnc_dsp_out_t o = mnc_dsp_out(g->output_offset, g->act_min, g->act_max);
    const int32_t groups = g->groups;
    const int8_t *const y0_end = y0 + (g->out_c & ~1);
    for (; y0 < y0_end; y0 += 2, y1 += 2) {
        mnc_dsp_gemm_2x2(cols, w, groups, q, sh, &o, y0, y1, 1, fast, full);
        w += 2 * groups;
        q += 2 * MNC_DSP_QUANT_FIELDS;
        sh += 2;
    }
    if (g->out_c & 1) {
        mnc_dsp_gemm_2x2(cols, w, groups, q, sh, &o, y0, y1, 0, fast, full);
    }
}

/* All output channels of the two pixels in a two-pixel column buffer. */
static inline void mnc_dsp_gemm_2px(const mnc_dsp_gemm_t *g, const uint32_t *cols, int8_t *y0, int8_t *y1)
{
#define MNC_GEMM_2PX_BODY(fast, full) mnc_dsp_gemm_2px_body(g, cols, y0, y1, fast, full)
    MNC_DSP_SPECIALISE(g->fast_requant, mnc_dsp_full_range(g->act_min, g->act_max), MNC_GEMM_2PX_BODY);
#undef MNC_GEMM_2PX_BODY
}

static inline __attribute__((always_inline)) void mnc_dsp_gemm_1px_body(const mnc_dsp_gemm_t *g,
        const uint32_t *cols, int8_t *y, int fast, int full)
{
    const uint32_t *w = (const uint32_t *)(const void *)g->weights;   /* same type but for signedness */
    const int32_t *q = g->quant;
    const int8_t *sh = g->shift;
    const mnc_dsp_out_t o = mnc_dsp_out(g->output_offset, g->act_min, g->act_max);
    for (int32_t oc = 0; oc < g->out_c; oc += 2) {
        int32_t acc[2] = {q[0], q[2]};
        mnc_dsp_dot_1x2(cols, w, g->groups, acc);
        y[oc] = (int8_t)mnc_dsp_output(acc[0], q[1], sh[0], &o, fast, full, 0);
        if (oc + 1 < g->out_c) {
            y[oc + 1] = (int8_t)mnc_dsp_output(acc[1], q[3], sh[1], &o, fast, full, 0);
        }
        w += 2 * g->groups;
        q += 2 * MNC_DSP_QUANT_FIELDS;
        sh += 2;
    }
}

/* All output channels of one pixel in a one-pixel column buffer (2 words per group). */
static inline void mnc_dsp_gemm_1px(const mnc_dsp_gemm_t *g, const uint32_t *cols, int8_t *y)
{
#define MNC_GEMM_1PX_BODY(fast, full) mnc_dsp_gemm_1px_body(g, cols, y, fast, full)
    MNC_DSP_SPECIALISE(g->fast_requant, mnc_dsp_full_range(g->act_min, g->act_max), MNC_GEMM_1PX_BODY);
#undef MNC_GEMM_1PX_BODY
}

#endif
