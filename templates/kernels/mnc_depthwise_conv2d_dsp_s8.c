/* Depthwise convolution with SIMD across channels. NHWC keeps 4 channels of a pixel in one word:
 * SXTB16 unpacks it into int16 lanes [c0, c2] and [c1, c3], and SMLABB/SMLATT multiply each lane by
 * its channel's weight. The input offset is folded into the bias at compile time, so padded taps read
 * the input zero point (adding exactly 0, as TFLite's skipped taps do).
 *
 * Channel groups of 4 are the outer loop. For 3x3 (dilation 1, any stride and pads) a group's weights
 * are unpacked once into 18 words on the stack (doubled when the fast requantization is used, which
 * then needs no doubling per output), and each input row once into a ring of three padded, unpacked
 * rows in scratch: every output pixel then takes the same branch-free path, 2 LDRD + 4 MAC per tap.
 * Other kernel shapes and a last group of fewer than 4 channels take a general path with the same
 * arithmetic. */
#include "mnc_depthwise_conv2d_dsp_s8.h"

#include "mnc_requant_dsp_s8.h"

/* The first `lanes` bytes at x, zero beyond: a last partial group must not read past its array. */
static inline uint32_t mnc_dw_load(const int8_t *x, int32_t lanes)
{
    if (lanes == 4) {
        return mnc_load_u32(x);
    }
    uint8_t bytes[4] = {0, 0, 0, 0};
    memcpy(bytes, x, (size_t)lanes);
    return mnc_load_u32(bytes);
}

/* acc[0..3] (channels 0..3) += the 4 channels of input word v times weight lanes wl = [w0, w2] and
 * wh = [w1, w3]. */
#define MNC_DW_TAP(v, wl, wh, acc)                                                                 \
    do {                                                                                         \
        const uint32_t v_ = (v);                                                                 \
        const int32_t xl_ = __sxtb16(v_), xh_ = mnc_sxtb16_hi(v_);                               \
        acc[0] = __smlabb(xl_, (wl), acc[0]);                                                    \
        acc[2] = __smlatt(xl_, (wl), acc[2]);                                                    \
        acc[1] = __smlabb(xh_, (wh), acc[1]);                                                    \
        acc[3] = __smlatt(xh_, (wh), acc[3]);                                                    \
    } while (0)

/* Requantize acc[0..lanes) and store them to y (`doubled`: see mnc_dsp_output). */
static inline __attribute__((always_inline)) void mnc_dw_store(const int32_t acc[4], const int32_t *mult,
        const int32_t *shift, const mnc_dsp_out_t *o, int8_t *y, int32_t lanes, int fast, int full, int doubled)
{
    for (int32_t c = 0; c < lanes; c++) {
        y[c] = (int8_t)mnc_dsp_output(acc[c], mult[c], shift[c], o, fast, full, doubled);
    }
}

/* ---- 3x3, dilation 1, 4 channels ------------------------------------------------------------- */

/* The assembly below addresses the fields by byte offset: w at 0, bias at 72, mult at 88, shift at 104. */
typedef struct {
    int32_t w[18];                 /* per tap: [w0, w2], [w1, w3] (doubled on the fast path) */
    int32_t bias[4], mult[4], shift[4];
} mnc_dw_group_t;

static void mnc_dw_group_setup(const mnc_depthwise_conv2d_dsp_params_t *p, int32_t c, int32_t taps, int fast,
                               mnc_dw_group_t *g)
{
    for (int32_t t = 0; t < taps; t++) {
        const uint32_t v = mnc_load_u32(p->weights + t * p->in_c + c);
        int32_t lo = __sxtb16(v), hi = mnc_sxtb16_hi(v);
        if (fast) {   /* 2 * w fits int16 */
            lo = __sadd16(lo, lo);
            hi = __sadd16(hi, hi);
        }
        g->w[2 * t] = lo;
        g->w[2 * t + 1] = hi;
    }
    for (int32_t k = 0; k < 4; k++) {
        const int32_t bias = p->quant[(c + k) * MNC_DSP_QUANT_FIELDS];
        g->bias[k] = fast ? 2 * bias : bias;
        g->mult[k] = p->quant[(c + k) * MNC_DSP_QUANT_FIELDS + 1];
        g->shift[k] = p->shift[c + k];
    }
}

/* The 3x3 path works from unpacked rows: each input row a group needs is unpacked once into the
 * scratch ring (3 rows of [padded width][2 words]: [c0, c2], [c1, c3] per pixel), with the left and
 * right padding stored as the unpacked zero point and rows outside the input entirely zero point.
 * Every output pixel is then an interior pixel: per tap one LDRD of input and one of weights. */

/* Width of a padded, unpacked row: every window of the output row fits. */
static inline int32_t mnc_dw_padded_w(const mnc_depthwise_conv2d_dsp_params_t *p)
{
    return (p->out_w - 1) * p->stride_w + 3;
}

/* Row iy of the group at `in` (channel offset applied) into dst, padded_w pixels starting at column
 * -pad_left. */
static void mnc_dw_unpack_row(const mnc_depthwise_conv2d_dsp_params_t *p, const int8_t *in, int32_t iy,
                              uint32_t pad4, uint32_t *dst)
{
    const int32_t padded_w = mnc_dw_padded_w(p);
    const uint32_t pad_lo = (uint32_t)__sxtb16(pad4), pad_hi = (uint32_t)mnc_sxtb16_hi(pad4);
    int32_t first = 0, last = 0;   /* columns [first, last) of dst hold input pixels */
    if (iy >= 0 && iy < p->in_h) {
        first = MNC_MIN(p->pad_left, padded_w);
        last = MNC_MAX(first, MNC_MIN(padded_w, p->pad_left + p->in_w));
    }
    int32_t i = 0;
    for (; i < first; i++) {
        dst[2 * i] = pad_lo;
        dst[2 * i + 1] = pad_hi;
    }
    if (i < last) {   /* the row is inside the input */
        const int8_t *x = in + (iy * p->in_w + (first - p->pad_left)) * p->in_c;
        for (; i < last; i++, x += p->in_c) {
            const uint32_t v = mnc_load_u32(x);
            dst[2 * i] = (uint32_t)__sxtb16(v);
            dst[2 * i + 1] = (uint32_t)mnc_sxtb16_hi(v);
        }
    }
    for (; i < padded_w; i++) {
        dst[2 * i] = pad_lo;
        dst[2 * i + 1] = pad_hi;
    }
}

/* One tap: LDRD of the unpacked input pixel, LDRD of its weights, 4 multiply-accumulates. */
#define MNC_DW_ASM_TAP(row, xoff, woff)                                                            \
    "ldrd %[xl], %[xh], [%[" row "], #" xoff "]\n\t"                                             \
    "ldrd %[wl], %[wh], [%[w], #" woff "]\n\t"                                                   \
    "smlabb %[a0], %[xl], %[wl], %[a0]\n\t"                                                      \
    "smlatt %[a2], %[xl], %[wl], %[a2]\n\t"                                                      \
    "smlabb %[a1], %[xh], %[wh], %[a1]\n\t"                                                      \
    "smlatt %[a3], %[xh], %[wh], %[a3]\n\t"

#define MNC_DW_ASM_ROW(row, w0)                                                                    \
    MNC_DW_ASM_TAP(row, "0", #w0) MNC_DW_ASM_TAP(row, "8", "(" #w0 "+8)")                         \
    MNC_DW_ASM_TAP(row, "16", "(" #w0 "+16)")

/* Requantize four accumulators and store them to y[0..3]. */
static inline __attribute__((always_inline)) void mnc_dw_3x3_out(int32_t a0, int32_t a1, int32_t a2, int32_t a3,
        const mnc_dw_group_t *g, const mnc_dsp_out_t *o, int8_t *y, int fast, int full)
{
    const int32_t r0 = mnc_dsp_output(a0, g->mult[0], g->shift[0], o, fast, full, fast);
    const int32_t r1 = mnc_dsp_output(a1, g->mult[1], g->shift[1], o, fast, full, fast);
    const int32_t r2 = mnc_dsp_output(a2, g->mult[2], g->shift[2], o, fast, full, fast);
    const int32_t r3 = mnc_dsp_output(a3, g->mult[3], g->shift[3], o, fast, full, fast);
    y[0] = (int8_t)r0;
    y[1] = (int8_t)r1;
    y[2] = (int8_t)r2;
    y[3] = (int8_t)r3;
}

/* The fast, full-range output stage of four accumulators in assembly (GCC reloads every constant
 * separately): per lane SMMULR, the rounding shift, + (1 + 2 * zero point), SSAT #8 of half. */
#define MNC_DW_ASM_OUT(a, m, sh, k)                                                                \
    "smmulr %[" a "], %[" a "], %[" m "]\n\t"                                                    \
    "add %[" a "], %[" a "], %[" a "], asr #31\n\t"                                              \
    "asr %[" a "], %[" a "], %[" sh "]\n\t"                                                      \
    "add %[" a "], %[" a "], %[rz]\n\t"                                                          \
    "ssat %[" a "], #8, %[" a "], asr #1\n\t"                                                    \
    "strb %[" a "], [%[y], #" k "]\n\t"

/* volatile: the asm's only effect is its stores. */
static inline __attribute__((always_inline)) void mnc_dw_3x3_out_fast_full(int32_t a0, int32_t a1, int32_t a2,
        int32_t a3, const mnc_dw_group_t *g, int32_t round_zp, int8_t *y)
{
    uint32_t m0, m1, s0, s1;
    __asm__ volatile("ldrd %[m0], %[m1], [%[g], #88]\n\t"
            "ldrd %[s0], %[s1], [%[g], #104]\n\t"
            MNC_DW_ASM_OUT("a0", "m0", "s0", "0") MNC_DW_ASM_OUT("a1", "m1", "s1", "1")
            "ldrd %[m0], %[m1], [%[g], #96]\n\t"
            "ldrd %[s0], %[s1], [%[g], #112]\n\t"
            MNC_DW_ASM_OUT("a2", "m0", "s0", "2") MNC_DW_ASM_OUT("a3", "m1", "s1", "3")
            : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [m0] "=&r"(m0), [m1] "=&r"(m1),
              [s0] "=&r"(s0), [s1] "=&r"(s1)
            : [g] "r"(g), [rz] "r"(round_zp), [y] "r"(y)
            : "memory");
}

/* One output row from the three unpacked rows r0..r2 (each starting at the row's first window).
 * The taps are in assembly because GCC 12 spills the accumulators inside a tap loop; the
 * accumulators start from the bias, which follows the 18 weight words in mnc_dw_group_t. */
static inline __attribute__((always_inline)) void mnc_dw_3x3_row(const uint32_t *r0, const uint32_t *r1,
        const uint32_t *r2, int8_t *y, int32_t n, int32_t ch, int32_t stride, const mnc_dw_group_t *g,
        const mnc_dsp_out_t *o, int fast, int full)
{
    for (; n > 0; n--, y += ch, r0 += 2 * stride, r1 += 2 * stride, r2 += 2 * stride) {
        int32_t a0, a1, a2, a3;
        uint32_t xl, xh, wl, wh;
        __asm__("ldrd %[a0], %[a1], [%[w], #72]\n\t"
                "ldrd %[a2], %[a3], [%[w], #80]\n\t"
                MNC_DW_ASM_ROW("r0", 0) MNC_DW_ASM_ROW("r1", 24) MNC_DW_ASM_ROW("r2", 48)
                : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [xl] "=&r"(xl), [xh] "=&r"(xh),
                  [wl] "=&r"(wl), [wh] "=&r"(wh)
                : [r0] "r"(r0), [r1] "r"(r1), [r2] "r"(r2), [w] "r"(g->w)
                : "memory");
        if (fast && full) {
            mnc_dw_3x3_out_fast_full(a0, a1, a2, a3, g, o->round_zp, y);
        } else {
            mnc_dw_3x3_out(a0, a1, a2, a3, g, o, y, fast, full);
        }
    }
}

static inline __attribute__((always_inline)) void mnc_dw_3x3_plane(const mnc_depthwise_conv2d_dsp_params_t *p,
        const int8_t *in, int8_t *out, const mnc_dw_group_t *g, uint32_t pad4, uint32_t *ring, int fast,
        int full)
{
    const mnc_dsp_out_t o = mnc_dsp_out(p->output_offset, p->act_min, p->act_max);
    const int32_t row_words = 2 * mnc_dw_padded_w(p);
    int32_t held[3] = {INT32_MIN, INT32_MIN, INT32_MIN};   /* input row in each ring slot */
    for (int32_t oy = 0; oy < p->out_h; oy++) {
        const uint32_t *rows[3];
        for (int32_t ky = 0; ky < 3; ky++) {
            const int32_t iy = oy * p->stride_h - p->pad_top + ky;
            const int32_t slot = (iy % 3 + 3) % 3;
            uint32_t *dst = ring + slot * row_words;
            if (held[slot] != iy) {
                mnc_dw_unpack_row(p, in, iy, pad4, dst);
                held[slot] = iy;
            }
            rows[ky] = dst;
        }
        mnc_dw_3x3_row(rows[0], rows[1], rows[2], out + oy * p->out_w * p->in_c, p->out_w, p->in_c, p->stride_w,
                       g, &o, fast, full);
    }
}

static void mnc_dw_3x3_group(const mnc_depthwise_conv2d_dsp_params_t *p, const int8_t *in, int8_t *out,
                             int32_t c, uint32_t pad4, uint32_t *ring)
{
    mnc_dw_group_t g;
    mnc_dw_group_setup(p, c, 9, p->fast_requant, &g);
#define MNC_DW_3X3_BODY(fast, full) mnc_dw_3x3_plane(p, in + c, out + c, &g, pad4, ring, fast, full)
    MNC_DSP_SPECIALISE(p->fast_requant, mnc_dsp_full_range(p->act_min, p->act_max), MNC_DW_3X3_BODY);
#undef MNC_DW_3X3_BODY
}

/* ---- 3x3, fast requantization, full int8 range: one channel at a time, SMLAD over tap pairs ---- */

/* The common case of every depthwise layer of an image network. Each of the 4 channels of a group gets
 * its own ring of unpacked int16 rows ("planar"), so a 32-bit load at any column holds two horizontally
 * adjacent taps of one channel: SMLAD multiplies them by two weights at once, and the 9 weights of the
 * channel (doubled, see mnc_dsp_output) stay in 5 registers for a whole output row. Per two outputs
 * of a row: 9 loads, 6 SMLAD, 6 SMLAxy, 2 x (SMMULR, round, shift, + 1 + 2 zp, SSAT #8, STRB).
 *
 * The ring row pitch is a constant so that the assembly reaches the three window rows with immediate
 * offsets; rows wider than MNC_DW3_COLS int16 take the 4-channel path above. Row iy is stored in slot
 * iy mod 3 and again in slot iy mod 3 + 3, so the rows iy, iy + 1, iy + 2 are always in consecutive
 * slots (slot 5 only ever receives the unused second copy of a row in slot 2). */
#define MNC_DW3_PITCH 128                                   /* bytes per ring row */
#define MNC_DW3_COLS (MNC_DW3_PITCH / 2)                    /* int16 columns per ring row */
#define MNC_DW3_SLOTS 6
#define MNC_DW3_RING_WORDS (MNC_DW3_SLOTS * MNC_DW3_PITCH / 4)   /* one channel's ring */

/* Columns of the ring a row needs: every window of the output row, plus the column the two-output
 * loads of the last (odd) output read past it. Even: the unpacking writes column pairs. */
static inline int32_t mnc_dw3_cols(const mnc_depthwise_conv2d_dsp_params_t *p)
{
    const int32_t cols = (p->out_w - 1) * p->stride_w + 4;
    return cols + (cols & 1);
}

/* Where the planar path is the faster one (measured on VWW, Cortex-M7): its per-row and per-channel
 * setup only pays off over rows of at least 12 outputs (stride 1) or 24 (stride 2, where each output
 * needs twice the unpacking). */
static inline int mnc_dw3_applies(const mnc_depthwise_conv2d_dsp_params_t *p)
{
    const int wide = (p->stride_w == 1 && p->out_w >= 12) || (p->stride_w == 2 && p->out_w >= 24);
    return wide && mnc_dw3_cols(p) <= MNC_DW3_COLS;
}

/* What the row functions read, at these byte offsets: ldmia loads the first 8 words into r3..r10. */
typedef struct {
    uint32_t w_row[3];   /*  0: [2 w(r, 0), 2 w(r, 1)] for window rows r = 0..2 */
    uint32_t w_c;        /* 12: [2 w(0, 2), 2 w(1, 2)] */
    uint32_t w_d;        /* 16: [right shift - 1, 2 w(2, 2)]: ASR by register reads the low byte */
    int32_t mult;        /* 20 */
    int32_t round_zp;    /* 24: 1 + 2 * output zero point */
    int32_t in_c;        /* 28: output pixel stride */
    int32_t bias2;       /* 32: 2 * folded bias */
    int32_t pairs;       /* 36: out_w / 2 */
    int32_t odd;         /* 40: out_w & 1 */
} mnc_dw3_channel_t;

static inline uint32_t mnc_dw3_pair(int32_t lo, int32_t hi)
{
    return ((uint32_t)lo & 0xffffu) | ((uint32_t)hi << 16);
}

static void mnc_dw3_channel_setup(const mnc_depthwise_conv2d_dsp_params_t *p, int32_t c, mnc_dw3_channel_t *ch)
{
    int32_t w[9];
    for (int32_t t = 0; t < 9; t++) {
        w[t] = 2 * p->weights[t * p->in_c + c];   /* fits int16 */
    }
    for (int32_t r = 0; r < 3; r++) {
        ch->w_row[r] = mnc_dw3_pair(w[3 * r], w[3 * r + 1]);
    }
    ch->w_c = mnc_dw3_pair(w[2], w[5]);
    ch->w_d = mnc_dw3_pair(p->shift[c], w[8]);
    ch->mult = p->quant[c * MNC_DSP_QUANT_FIELDS + 1];
    ch->round_zp = 1 + 2 * p->output_offset;
    ch->in_c = p->in_c;
    ch->bias2 = 2 * p->quant[c * MNC_DSP_QUANT_FIELDS];
    ch->pairs = p->out_w >> 1;
    ch->odd = p->out_w & 1;
}

/* The three taps of window row `off` (byte offset of the row in the ring) for the outputs in r0 and
 * r11, stride 1: [x0, x1] and [x1, x2] by the pair weights `w`, x2 and x3 by the half `h` (B/T) of `wx`. */
#define MNC_DW3_S1_ROW(off, w, wx, h)                                                              \
    "ldr ip, [r1, #" off "]\n\t"                                                                 \
    "smlad r0, ip, " w ", r0\n\t"                                                                \
    "ldr lr, [r1, #(" off "+2)]\n\t"                                                             \
    "smlad r11, lr, " w ", r11\n\t"                                                              \
    "ldr ip, [r1, #(" off "+4)]\n\t"                                                             \
    "smlab" h " r0, ip, " wx ", r0\n\t"                                                          \
    "smlat" h " r11, ip, " wx ", r11\n\t"

/* Stride 2: [x0, x1] and [x2, x3] by the pair weights, x2 and x4 by the third weight. */
#define MNC_DW3_S2_ROW(off, w, wx, h)                                                              \
    "ldr ip, [r1, #" off "]\n\t"                                                                 \
    "smlad r0, ip, " w ", r0\n\t"                                                                \
    "ldr lr, [r1, #(" off "+4)]\n\t"                                                             \
    "smlab" h " r0, lr, " wx ", r0\n\t"                                                          \
    "smlad r11, lr, " w ", r11\n\t"                                                              \
    "ldr ip, [r1, #(" off "+8)]\n\t"                                                             \
    "smlab" h " r11, ip, " wx ", r11\n\t"

/* One output (the last of an odd row), either stride: [x0, x1] by the pair weights, x2 by the third. */
#define MNC_DW3_ONE_ROW(off, w, wx, h)                                                             \
    "ldr ip, [r1, #" off "]\n\t"                                                                 \
    "smlad r0, ip, " w ", r0\n\t"                                                                \
    "ldr ip, [r1, #(" off "+4)]\n\t"                                                             \
    "smlab" h " r0, ip, " wx ", r0\n\t"

#define MNC_DW3_TAPS(row) row("0", "r3", "r6", "b") row("128", "r4", "r6", "t") row("256", "r5", "r7", "t")

/* mnc_dsp_requantize_fast of accumulator a (2 * acc) and the full-range SSAT: m in r8, right shift - 1
 * in the low byte of r7, 1 + 2 zp in r9. */
#define MNC_DW3_OUT(a)                                                                             \
    "smmulr " a ", " a ", r8\n\t"                                                                \
    "add " a ", " a ", " a ", asr #31\n\t"                                                       \
    "asr " a ", " a ", r7\n\t"                                                                   \
    "add " a ", " a ", r9\n\t"                                                                   \
    "ssat " a ", #8, " a ", asr #1\n\t"

/* One output row of one channel: r0 = the channel record, r1 = its ring at the first window's column
 * of window row 0, r2 = the first output. Registers: r3..r7 weights (r7 also the shift), r8 multiplier,
 * r9 1 + 2 zp, r10 output stride, r0 and r11 the two accumulators, ip and lr input words; on the stack
 * the bias twice, the end of r1 and the odd flag. `step` = bytes of ring per two outputs, `row` the
 * tap macro of the stride. */
#define MNC_DW3_ROW_ASM(step_shift, row)                                                           \
    "push {r4-r11, lr}\n\t"                                                                      \
    "sub sp, sp, #16\n\t"                                                                        \
    "ldr r11, [r0, #32]\n\t"                                                                     \
    "ldr ip, [r0, #36]\n\t"                                                                      \
    "ldr lr, [r0, #40]\n\t"                                                                      \
    "str r11, [sp]\n\t"                                                                          \
    "str r11, [sp, #4]\n\t"                                                                      \
    "add ip, r1, ip, lsl #" step_shift "\n\t"                                                    \
    "strd ip, lr, [sp, #8]\n\t"                                                                  \
    "ldmia r0, {r3-r10}\n\t"                                                                     \
    "cmp r1, ip\n\t"                                                                             \
    "bhs 2f\n"                                                                                   \
    "1:\n\t"                                                                                     \
    "ldrd r0, r11, [sp]\n\t"                                                                     \
    MNC_DW3_TAPS(row)                                                                            \
    MNC_DW3_OUT("r0")                                                                            \
    MNC_DW3_OUT("r11")                                                                           \
    "strb r0, [r2]\n\t"                                                                          \
    "strb r11, [r2, r10]\n\t"                                                                    \
    "add r2, r2, r10, lsl #1\n\t"                                                                \
    "add r1, r1, #(1 << " step_shift ")\n\t"                                                     \
    "ldr ip, [sp, #8]\n\t"                                                                       \
    "cmp r1, ip\n\t"                                                                             \
    "blo 1b\n"                                                                                   \
    "2:\n\t"                                                                                     \
    "ldr ip, [sp, #12]\n\t"                                                                      \
    "cmp ip, #0\n\t"                                                                             \
    "beq 3f\n\t"                                                                                 \
    "ldr r0, [sp]\n\t"                                                                           \
    MNC_DW3_TAPS(MNC_DW3_ONE_ROW)                                                                \
    MNC_DW3_OUT("r0")                                                                            \
    "strb r0, [r2]\n"                                                                            \
    "3:\n\t"                                                                                     \
    "add sp, sp, #16\n\t"                                                                        \
    "pop {r4-r11, pc}\n\t"

static void __attribute__((naked, noinline)) mnc_dw3_row_s1(const mnc_dw3_channel_t *ch __attribute__((unused)),
        const int16_t *ring __attribute__((unused)), int8_t *y __attribute__((unused)))
{
    __asm__ volatile(MNC_DW3_ROW_ASM("2", MNC_DW3_S1_ROW));
}

static void __attribute__((naked, noinline)) mnc_dw3_row_s2(const mnc_dw3_channel_t *ch __attribute__((unused)),
        const int16_t *ring __attribute__((unused)), int8_t *y __attribute__((unused)))
{
    __asm__ volatile(MNC_DW3_ROW_ASM("3", MNC_DW3_S2_ROW));
}

/* Pixels v0 and v1 (4 channels each) as one word [channel k of v0, of v1] per channel's ring, stored
 * in the row's slot and in its copy 3 slots on. */
static inline __attribute__((always_inline)) void mnc_dw3_store_pair(uint32_t *dst, uint32_t v0, uint32_t v1)
{
    const int32_t lo0 = __sxtb16(v0), hi0 = mnc_sxtb16_hi(v0);   /* [c0, c2], [c1, c3] */
    const int32_t lo1 = __sxtb16(v1), hi1 = mnc_sxtb16_hi(v1);
    uint32_t c0, c1, c2, c3;   /* PKHBT / PKHTB: GCC 12 builds these halfword packs from 3 instructions */
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(c0) : "r"(lo0), "r"(lo1));
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(c1) : "r"(hi0), "r"(hi1));
    __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(c2) : "r"(lo1), "r"(lo0));
    __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(c3) : "r"(hi1), "r"(hi0));
    const int32_t copy = 3 * MNC_DW3_PITCH / 4;
    dst[0] = c0;
    dst[copy] = c0;
    dst[MNC_DW3_RING_WORDS] = c1;
    dst[MNC_DW3_RING_WORDS + copy] = c1;
    dst[2 * MNC_DW3_RING_WORDS] = c2;
    dst[2 * MNC_DW3_RING_WORDS + copy] = c2;
    dst[3 * MNC_DW3_RING_WORDS] = c3;
    dst[3 * MNC_DW3_RING_WORDS + copy] = c3;
}

/* Input row iy of channels c..c+3 into their rings (slot iy mod 3 and its copy), columns [0, cols)
 * starting at input column -pad_left, the input zero point outside the input: the pixel pairs
 * wholly inside the row take the branch-free loop. */
static void mnc_dw3_unpack_row(const mnc_depthwise_conv2d_dsp_params_t *p, const int8_t *in, int32_t c,
                               int32_t iy, int32_t cols, uint32_t pad4, uint32_t *ring)
{
    uint32_t *dst = ring + (iy % 3 + 3) % 3 * (MNC_DW3_PITCH / 4);
    uint32_t *const end = dst + cols / 2;
    if (iy < 0 || iy >= p->in_h) {
        for (; dst < end; dst++) {
            mnc_dw3_store_pair(dst, pad4, pad4);
        }
        return;
    }
    const int32_t in_w = p->in_w, stride = p->in_c;
    const int8_t *row = in + iy * in_w * stride + c;
    int32_t ix = -p->pad_left;
    for (; dst < end && ix < 0; dst++, ix += 2) {   /* left border */
        const uint32_t v1 = ix + 1 >= 0 && ix + 1 < in_w ? mnc_load_u32(row + (ix + 1) * stride) : pad4;
        mnc_dw3_store_pair(dst, pad4, v1);
    }
    const int8_t *x = row + ix * stride;
    const int32_t inside = MNC_MAX(0, MNC_MIN((int32_t)(end - dst), (in_w - ix) / 2));
    for (int32_t k = 0; k < inside; k++, dst++, x += 2 * stride) {   /* both pixels of the pair inside */
        mnc_dw3_store_pair(dst, mnc_load_u32(x), mnc_load_u32(x + stride));
    }
    for (ix += 2 * inside; dst < end; dst++, ix += 2) {   /* right border */
        mnc_dw3_store_pair(dst, ix < in_w ? mnc_load_u32(row + ix * stride) : pad4, pad4);
    }
}

static void mnc_dw3_group(const mnc_depthwise_conv2d_dsp_params_t *p, const int8_t *in, int8_t *out, int32_t c,
                          uint32_t pad4, uint32_t *ring)
{
    mnc_dw3_channel_t ch[4];
    for (int32_t k = 0; k < 4; k++) {
        mnc_dw3_channel_setup(p, c + k, &ch[k]);
    }
    const int32_t cols = mnc_dw3_cols(p);
    int32_t next = -p->pad_top;   /* first input row not in the rings yet */
    for (int32_t oy = 0; oy < p->out_h; oy++) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top;
        for (int32_t iy = MNC_MAX(next, iy0); iy < iy0 + 3; iy++) {
            mnc_dw3_unpack_row(p, in, c, iy, cols, pad4, ring);
        }
        next = iy0 + 3;
        const int32_t slot = (iy0 % 3 + 3) % 3;
        int8_t *y = out + oy * p->out_w * p->in_c + c;
        for (int32_t k = 0; k < 4; k++) {
            const int16_t *rows = (const int16_t *)(const void *)(ring + k * MNC_DW3_RING_WORDS
                                                                   + slot * (MNC_DW3_PITCH / 4));
            if (p->stride_w == 1) {
                mnc_dw3_row_s1(&ch[k], rows, y + k);
            } else {
                mnc_dw3_row_s2(&ch[k], rows, y + k);
            }
        }
    }
}

/* ---- any kernel, dilation, or a partial group --------------------------------------------------- */

static void mnc_dw_general_group(const mnc_depthwise_conv2d_dsp_params_t *p, const int8_t *in, int8_t *out,
                                 int32_t c, int32_t lanes, uint32_t pad4)
{
    const mnc_dsp_out_t o = mnc_dsp_out(p->output_offset, p->act_min, p->act_max);
    int32_t bias[4], mult[4], shift[4];
    for (int32_t k = 0; k < 4; k++) {
        bias[k] = p->quant[(c + k) * MNC_DSP_QUANT_FIELDS];
        mult[k] = p->quant[(c + k) * MNC_DSP_QUANT_FIELDS + 1];
        shift[k] = p->shift[c + k];
    }
    for (int32_t oy = 0; oy < p->out_h; oy++) {
        for (int32_t ox = 0; ox < p->out_w; ox++) {
            const int32_t iy0 = oy * p->stride_h - p->pad_top, ix0 = ox * p->stride_w - p->pad_left;
            int32_t acc[4] = {bias[0], bias[1], bias[2], bias[3]};
            for (int32_t ky = 0; ky < p->kernel_h; ky++) {
                const int32_t iy = iy0 + ky * p->dilation_h;
                for (int32_t kx = 0; kx < p->kernel_w; kx++) {
                    const int32_t ix = ix0 + kx * p->dilation_w;
                    const int inside = iy >= 0 && iy < p->in_h && ix >= 0 && ix < p->in_w;
                    const uint32_t v = inside ? mnc_dw_load(in + (iy * p->in_w + ix) * p->in_c + c, lanes) : pad4;
                    const uint32_t w = mnc_dw_load(p->weights + (ky * p->kernel_w + kx) * p->in_c + c, lanes);
                    MNC_DW_TAP(v, __sxtb16(w), mnc_sxtb16_hi(w), acc);
                }
            }
            int8_t *y = out + (oy * p->out_w + ox) * p->in_c + c;
            if (p->fast_requant) {
                mnc_dw_store(acc, mult, shift, &o, y, lanes, 1, 0, 0);
            } else {
                mnc_dw_store(acc, mult, shift, &o, y, lanes, 0, 0, 0);
            }
        }
    }
}

void mnc_depthwise_conv2d_dsp_s8(const mnc_depthwise_conv2d_dsp_params_t *p, const int8_t *in, int8_t *out,
                                 int8_t *scratch)
{
    uint32_t *ring = (uint32_t *)(void *)scratch;
    const uint32_t pad4 = (uint32_t)(uint8_t)p->pad_value * 0x01010101u;
    const int fast_shape = p->kernel_h == 3 && p->kernel_w == 3 && p->dilation_h == 1 && p->dilation_w == 1;
    const int planar = p->fast_requant && mnc_dsp_full_range(p->act_min, p->act_max) && mnc_dw3_applies(p);
    for (int32_t c = 0; c < p->in_c; c += 4) {
        const int32_t lanes = MNC_MIN(4, p->in_c - c);
        if (fast_shape && lanes == 4 && planar) {
            mnc_dw3_group(p, in, out, c, pad4, ring);
        } else if (fast_shape && lanes == 4) {
            mnc_dw_3x3_group(p, in, out, c, pad4, ring);
        } else {
            mnc_dw_general_group(p, in, out, c, lanes, pad4);
        }
    }
}
