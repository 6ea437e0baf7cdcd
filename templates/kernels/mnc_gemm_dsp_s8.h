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

/* What mnc_dsp_gemm_2px_pairs_* read, at these byte offsets (they copy the record to their stack).
 * Addresses are kept relative to the shift pointer, the one they advance: q = 8 * sh + q_minus_8sh,
 * y0 = sh + y0_minus_sh (unsigned arithmetic on the 32-bit addresses). */
typedef struct {
    const uint32_t *cols;             /*  0: two-pixel column buffer */
    const uint32_t *cols_end;         /*  4: cols + 4 * groups */
    const uint32_t *w;                /*  8: weights of the first channel pair */
    uint32_t q_minus_8sh;             /* 12 */
    const int8_t *sh;                 /* 16: shift of the first channel */
    const int8_t *sh_end;             /* 20: sh + 2 * channel pairs */
    uint32_t y0_minus_sh;             /* 24 */
    int32_t y1_off;                   /* 28: y1 - y0 */
    int32_t round_zp;                 /* 32: 1 + 2 * output zero point */
    int32_t odd;                      /* 36: groups & 1 */
    uint32_t act_min4, act_max4;      /* 40, 44: the clamp bounds in all four bytes */
} mnc_dsp_gemm_run_t;

/* One group of the 2 x 2 block in the fixed registers of the functions below (as MNC_DSP_MAC_2X2). */
#define MNC_DSP_PAIRS_MAC                                                                          \
    "ldrd r6, r7, [r1], #8\n\t"                                                                  \
    "ldrd r10, r11, [r0], #8\n\t"                                                                \
    "sxtb16 r8, r6, ror #8\n\t"                                                                  \
    "sxtb16 r6, r6\n\t"                                                                          \
    "sxtb16 r9, r7, ror #8\n\t"                                                                  \
    "sxtb16 r7, r7\n\t"                                                                          \
    "smlad r2, r10, r6, r2\n\t"                                                                  \
    "smlad r2, r11, r8, r2\n\t"                                                                  \
    "smlad r3, r10, r7, r3\n\t"                                                                  \
    "smlad r3, r11, r9, r3\n\t"                                                                  \
    "ldrd r10, r11, [r0], #8\n\t"                                                                \
    "smlad r4, r10, r6, r4\n\t"                                                                  \
    "smlad r4, r11, r8, r4\n\t"                                                                  \
    "smlad r5, r10, r7, r5\n\t"                                                                  \
    "smlad r5, r11, r9, r5\n\t"

/* Every whole channel pair of two pixels on the fast requantization: the common case, where C code
 * spilled half the loop state around each 2 x 2 block. Whole functions in assembly so the block's 14
 * live values own all 14 registers: r0 column pointer, r1 weight pointer, r2..r5 accumulators (pixel 0
 * channel 0, 1, pixel 1 channel 0, 1), r6..r11 weight and column words, ip the column end, lr the shift
 * pointer; the rest of the record lives on the stack. Per block: the MAC loop, 4 x (double, SMMULR,
 * round, shift, + 1 + 2 zp, SSAT #8) as mnc_dsp_requantize_fast, the stores (`store`, with r6 = y0,
 * r7 = y1 - y0), and about 20 instructions of addressing. */
#define MNC_DSP_PAIRS_ASM(store)                                                                   \
    "push {r4-r11, lr}\n\t"                                                                      \
    "ldmia r0, {r1-r12}\n\t"                                                                     \
    "push {r1-r12}\n\t"                /* the record at sp */                                      \
    "ldr ip, [sp, #4]\n\t"                                                                       \
    "ldr r1, [sp, #8]\n\t"                                                                       \
    "ldr lr, [sp, #16]\n"                                                                        \
    "1:\n\t"                           /* channel pair: accumulators from the bias */              \
    "ldr r6, [sp, #12]\n\t"                                                                      \
    "add r6, r6, lr, lsl #3\n\t"                                                                 \
    "ldr r2, [r6]\n\t"                                                                           \
    "ldr r3, [r6, #8]\n\t"                                                                       \
    "ldr r0, [sp]\n\t"                                                                           \
    "ldr r7, [sp, #36]\n\t"                                                                      \
    "mov r4, r2\n\t"                                                                             \
    "mov r5, r3\n\t"                                                                             \
    "cmp r7, #0\n\t"                                                                             \
    "beq 2f\n\t"                                                                                 \
    MNC_DSP_PAIRS_MAC                                                                            \
    "cmp r0, ip\n\t"                                                                             \
    "bhs 3f\n"                                                                                   \
    "2:\n\t"                                                                                     \
    MNC_DSP_PAIRS_MAC                                                                            \
    MNC_DSP_PAIRS_MAC                                                                            \
    "cmp r0, ip\n\t"                                                                             \
    "blo 2b\n"                                                                                   \
    "3:\n\t"                                                                                     \
    "ldr r6, [sp, #12]\n\t"                                                                      \
    "add r6, r6, lr, lsl #3\n\t"                                                                 \
    "ldr r7, [r6, #4]\n\t"                                                                       \
    "ldr r8, [r6, #12]\n\t"                                                                      \
    "ldrsb r9, [lr]\n\t"                                                                         \
    "ldrsb r10, [lr, #1]\n\t"                                                                    \
    "ldr r11, [sp, #32]\n\t"                                                                     \
    "lsl r2, r2, #1\n\t"                                                                         \
    "lsl r3, r3, #1\n\t"                                                                         \
    "lsl r4, r4, #1\n\t"                                                                         \
    "lsl r5, r5, #1\n\t"                                                                         \
    "smmulr r2, r2, r7\n\t"                                                                      \
    "smmulr r4, r4, r7\n\t"                                                                      \
    "smmulr r3, r3, r8\n\t"                                                                      \
    "smmulr r5, r5, r8\n\t"                                                                      \
    "add r2, r2, r2, asr #31\n\t"                                                                \
    "add r3, r3, r3, asr #31\n\t"                                                                \
    "add r4, r4, r4, asr #31\n\t"                                                                \
    "add r5, r5, r5, asr #31\n\t"                                                                \
    "asr r2, r2, r9\n\t"                                                                         \
    "asr r4, r4, r9\n\t"                                                                         \
    "asr r3, r3, r10\n\t"                                                                        \
    "asr r5, r5, r10\n\t"                                                                        \
    "add r2, r2, r11\n\t"                                                                        \
    "add r3, r3, r11\n\t"                                                                        \
    "add r4, r4, r11\n\t"                                                                        \
    "add r5, r5, r11\n\t"                                                                        \
    "ssat r2, #8, r2, asr #1\n\t"                                                                \
    "ssat r3, #8, r3, asr #1\n\t"                                                                \
    "ssat r4, #8, r4, asr #1\n\t"                                                                \
    "ssat r5, #8, r5, asr #1\n\t"                                                                \
    "ldr r6, [sp, #24]\n\t"                                                                      \
    "ldr r7, [sp, #28]\n\t"                                                                      \
    "add r6, r6, lr\n\t"                                                                         \
    store                                                                                        \
    "ldr r7, [sp, #20]\n\t"                                                                      \
    "adds lr, lr, #2\n\t"                                                                        \
    "cmp lr, r7\n\t"                                                                             \
    "blo 1b\n\t"                                                                                 \
    "add sp, sp, #48\n\t"                                                                        \
    "pop {r4-r11, pc}\n\t"

/* Activation range all of int8: SSAT did the clamp. */
static void __attribute__((naked, noinline, unused)) mnc_dsp_gemm_2px_pairs_full(
        const mnc_dsp_gemm_run_t *run __attribute__((unused)))   /* in r0 */
{
    __asm__ volatile(MNC_DSP_PAIRS_ASM(
        "strb r2, [r6]\n\t"
        "strb r3, [r6, #1]\n\t"
        "add r6, r6, r7\n\t"
        "strb r4, [r6]\n\t"
        "strb r5, [r6, #1]\n\t"));
}

/* Any activation range: the four outputs packed into one word (BFI), clamped bytewise (SSUB8 sets a
 * lane's GE flag where the difference is >= 0, SEL then picks per lane: max, then min), and stored as
 * two halfwords [y0 channel 0, 1] and [y1 channel 0, 1]. */
static void __attribute__((naked, noinline, unused)) mnc_dsp_gemm_2px_pairs_clamped(
        const mnc_dsp_gemm_run_t *run __attribute__((unused)))   /* in r0 */
{
    __asm__ volatile(MNC_DSP_PAIRS_ASM(
        "bfi r2, r3, #8, #8\n\t"
        "bfi r2, r4, #16, #8\n\t"
        "bfi r2, r5, #24, #8\n\t"
        "ldrd r8, r9, [sp, #40]\n\t"
        "ssub8 r10, r2, r8\n\t"
        "sel r2, r2, r8\n\t"
        "ssub8 r10, r9, r2\n\t"
        "sel r2, r2, r9\n\t"
        "strh r2, [r6]\n\t"
        "lsr r2, r2, #16\n\t"
        "strh r2, [r6, r7]\n\t"));
}

/* All output channels of the two pixels in a two-pixel column buffer. */
static inline void mnc_dsp_gemm_2px(const mnc_dsp_gemm_t *g, const uint32_t *cols, int8_t *y0, int8_t *y1)
{
    if (!g->fast_requant) {
        mnc_dsp_gemm_2px_body(g, cols, y0, y1, 0, 0);
        return;
    }
    const int full = mnc_dsp_full_range(g->act_min, g->act_max);
    const int32_t pairs = g->out_c >> 1;
    if (pairs > 0) {
        const uint32_t sh = (uint32_t)(uintptr_t)g->shift;
        const mnc_dsp_gemm_run_t run = {
            cols, cols + 4 * g->groups, (const uint32_t *)(const void *)g->weights,
            (uint32_t)(uintptr_t)g->quant - 8u * sh, g->shift, g->shift + 2 * pairs,
            (uint32_t)(uintptr_t)y0 - sh, (int32_t)(y1 - y0), 1 + 2 * g->output_offset, g->groups & 1,
            (uint32_t)(uint8_t)g->act_min * 0x01010101u, (uint32_t)(uint8_t)g->act_max * 0x01010101u};
        if (full) {
            mnc_dsp_gemm_2px_pairs_full(&run);
        } else {
            mnc_dsp_gemm_2px_pairs_clamped(&run);
        }
    }
    if (g->out_c & 1) {
        const mnc_dsp_out_t o = mnc_dsp_out(g->output_offset, g->act_min, g->act_max);
        const uint32_t *w = (const uint32_t *)(const void *)g->weights + 2 * g->groups * pairs;
        mnc_dsp_gemm_2x2(cols, w, g->groups, g->quant + 2 * MNC_DSP_QUANT_FIELDS * pairs, g->shift + 2 * pairs, &o,
                         y0 + 2 * pairs, y1 + 2 * pairs, 0, 1, full);
    }
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
