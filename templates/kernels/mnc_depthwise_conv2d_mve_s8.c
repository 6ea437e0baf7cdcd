/* 3x3 depthwise convolution on Helium, 16 lane channels per block: each tap is one load of the input,
 * one of the weights and a VMULLB/VMULLT pair (int8 x int8 -> int16, even and odd bytes). Two taps are
 * summed in int16 (|x * w| <= 128 * 127, so a pair stays below 2^15) before the sums are widened into
 * four int32 accumulators (VMOVLB/VMOVLT); the compile-time layout of the weights and quantization
 * records follows that lane order, and the four requantized sets narrow back into byte order for one
 * 16-byte store. The input offset is folded into the bias; padded taps read a pixel of zero points,
 * which contributes exactly zero. */
#include "mnc_depthwise_conv2d_mve_s8.h"

#include <stddef.h>

#include "mnc_dw_mve_s8.h"

#define MNC_DW_MVE_WEIGHT_BYTES 144  /* 9 taps x 16 lanes */
#define MNC_DW_MVE_BLOCK_BYTES 400   /* weights + 4 lane sets x 4 fields x 4 lanes x 4 bytes */

typedef struct {
    const int8_t *tap[MNC_DW_MVE_TAPS];
} mnc_dw_mve_window_t;

/* ---- runs of whole blocks in assembly ------------------------------------------------------------
 * GCC 12 keeps every product live at once and spills the tap pointers and accumulators, so a run of
 * windows along an output row (nothing padded left or right, whole 16-lane blocks) is one asm loop with
 * fixed registers: taps r0-r6, r8, r9; filter block r10; output r11; the run's context r12; block
 * count lr (r7, the Thumb frame pointer, is left alone). Accumulators q0-q3, temporaries q4-q7. The
 * second tap of a pair is loaded twice so that four temporaries suffice. */
typedef struct {
    const int8_t *tap[MNC_DW_MVE_TAPS];   /* 0: first window's taps */
    const int8_t *filter;                 /* 36: first block's record */
    int8_t *out;                          /* 40 */
    int32_t blocks;                       /* 44: 16-lane blocks per window */
    int8_t act_min[16];                   /* 48 */
    int8_t act_max[16];                   /* 64 */
    int16_t offset[8];                    /* 80: output zero point */
    int32_t windows;                      /* 96: windows in the run */
    int32_t extra;                        /* 100: tap advance between windows beyond the lanes read */
} mnc_dw_mve_run_t;

#define MNC_DW_MVE_PAIR(ta, tb)                                                                           \
    "vldrb.8 q6, [" ta "], #16\n\t"                                                                       \
    "vldrb.8 q7, [r10], #16\n\t"                                                                          \
    "vmullb.s8 q4, q6, q7\n\t"                                                                            \
    "vmullt.s8 q5, q6, q7\n\t"                                                                            \
    "vldrb.8 q6, [" tb "]\n\t"                                                                            \
    "vldrb.8 q7, [r10], #16\n\t"                                                                          \
    "vmullb.s8 q6, q6, q7\n\t"                                                                            \
    "vadd.i16 q4, q4, q6\n\t"                                                                             \
    "vldrb.8 q6, [" tb "], #16\n\t"                                                                       \
    "vmullt.s8 q6, q6, q7\n\t"                                                                            \
    "vadd.i16 q5, q5, q6\n\t" MNC_DW_MVE_WIDEN

#define MNC_DW_MVE_WIDEN                                                                                  \
    "vmovlb.s16 q6, q4\n\t"                                                                               \
    "vadd.i32 q0, q0, q6\n\t"                                                                             \
    "vmovlt.s16 q7, q4\n\t"                                                                               \
    "vadd.i32 q1, q1, q7\n\t"                                                                             \
    "vmovlb.s16 q6, q5\n\t"                                                                               \
    "vadd.i32 q2, q2, q6\n\t"                                                                             \
    "vmovlt.s16 q7, q5\n\t"                                                                               \
    "vadd.i32 q3, q3, q7\n\t"

/* Requantization of lane set `acc`; the byte offsets are its fields' after r10 (the block's quant part). */
#define MNC_DW_MVE_REQ_RIGHT(acc, mult, neg_right)                                                        \
    "vldrw.32 q4, [r10, #" mult "]\n\t"                                                                   \
    "vldrw.32 q5, [r10, #" neg_right "]\n\t"                                                              \
    "vqrdmulh.s32 " acc ", " acc ", q4\n\t"                                                               \
    "vshr.s32 q4, " acc ", #31\n\t"                                                                       \
    "vqadd.s32 " acc ", " acc ", q4\n\t"                                                                  \
    "vrshl.s32 " acc ", " acc ", q5\n\t"

#define MNC_DW_MVE_REQ_ANY(acc, mult, left, neg_right)                                                    \
    "vldrw.32 q4, [r10, #" left "]\n\t"                                                                   \
    "vshl.s32 " acc ", " acc ", q4\n\t"                                                                   \
    "vldrw.32 q4, [r10, #" mult "]\n\t"                                                                   \
    "vldrw.32 q5, [r10, #" neg_right "]\n\t"                                                              \
    "vqrdmulh.s32 " acc ", " acc ", q4\n\t"                                                               \
    "vand q4, " acc ", q5\n\t"                                                                            \
    "vshr.s32 q4, q4, #31\n\t"                                                                            \
    "vqadd.s32 " acc ", " acc ", q4\n\t"                                                                  \
    "vrshl.s32 " acc ", " acc ", q5\n\t"

#define MNC_DW_MVE_REQ_RIGHT_ALL                                                                          \
    MNC_DW_MVE_REQ_RIGHT("q0", "16", "48") MNC_DW_MVE_REQ_RIGHT("q1", "80", "112")                        \
    MNC_DW_MVE_REQ_RIGHT("q2", "144", "176") MNC_DW_MVE_REQ_RIGHT("q3", "208", "240")

#define MNC_DW_MVE_REQ_ANY_ALL                                                                            \
    MNC_DW_MVE_REQ_ANY("q0", "16", "32", "48") MNC_DW_MVE_REQ_ANY("q1", "80", "96", "112")                \
    MNC_DW_MVE_REQ_ANY("q2", "144", "160", "176") MNC_DW_MVE_REQ_ANY("q3", "208", "224", "240")

/* One run; `requant` is one of the two MNC_DW_MVE_REQ_*_ALL sequences. */
#define MNC_DW_MVE_RUN_ASM(requant)                                                                       \
    "ldm r12, {r0-r6, r8-r11}\n\t"                                                                        \
    "2:\n\t"                                                                                              \
    "ldr lr, [r12, #44]\n\t"                                                                              \
    "1:\n\t"                                                                                              \
    "vldrw.32 q0, [r10, #144]\n\t"                                                                        \
    "vldrw.32 q1, [r10, #208]\n\t"                                                                        \
    "vldrw.32 q2, [r10, #272]\n\t"                                                                        \
    "vldrw.32 q3, [r10, #336]\n\t"                                                                        \
    MNC_DW_MVE_PAIR("r0", "r1") MNC_DW_MVE_PAIR("r2", "r3") MNC_DW_MVE_PAIR("r4", "r5")                   \
    MNC_DW_MVE_PAIR("r6", "r8")                                                                           \
    "vldrb.8 q6, [r9], #16\n\t"                                                                           \
    "vldrb.8 q7, [r10], #16\n\t"                                                                          \
    "vmullb.s8 q4, q6, q7\n\t"                                                                            \
    "vmullt.s8 q5, q6, q7\n\t" MNC_DW_MVE_WIDEN requant                                                   \
    "vqmovnb.s32 q4, q0\n\t"                                                                              \
    "vqmovnt.s32 q4, q1\n\t"                                                                              \
    "vqmovnb.s32 q5, q2\n\t"                                                                              \
    "vqmovnt.s32 q5, q3\n\t"                                                                              \
    "vldrh.16 q6, [r12, #80]\n\t"                                                                         \
    "vqadd.s16 q4, q4, q6\n\t"                                                                            \
    "vqadd.s16 q5, q5, q6\n\t"                                                                            \
    "vqmovnb.s16 q6, q4\n\t"                                                                              \
    "vqmovnt.s16 q6, q5\n\t"                                                                              \
    "vldrb.8 q7, [r12, #48]\n\t"                                                                          \
    "vmax.s8 q6, q6, q7\n\t"                                                                              \
    "vldrb.8 q7, [r12, #64]\n\t"                                                                          \
    "vmin.s8 q6, q6, q7\n\t"                                                                              \
    "vstrb.8 q6, [r11], #16\n\t"                                                                          \
    "add r10, r10, #256\n\t"                                                                              \
    "subs lr, lr, #1\n\t"                                                                                 \
    "bne 1b\n\t"                                                                                          \
    "ldr lr, [r12, #100]\n\t"                                                                             \
    "cmp lr, #0\n\t"                                                                                      \
    "beq 3f\n\t"                                                                                          \
    "add r0, r0, lr\n\t"                                                                                  \
    "add r1, r1, lr\n\t"                                                                                  \
    "add r2, r2, lr\n\t"                                                                                  \
    "add r3, r3, lr\n\t"                                                                                  \
    "add r4, r4, lr\n\t"                                                                                  \
    "add r5, r5, lr\n\t"                                                                                  \
    "add r6, r6, lr\n\t"                                                                                  \
    "add r8, r8, lr\n\t"                                                                                  \
    "add r9, r9, lr\n\t"                                                                                  \
    "3:\n\t"                                                                                              \
    "ldr r10, [r12, #36]\n\t"                                                                             \
    "ldr lr, [r12, #96]\n\t"                                                                              \
    "subs lr, lr, #1\n\t"                                                                                 \
    "str lr, [r12, #96]\n\t"                                                                              \
    "bne 2b\n\t"

#define MNC_DW_MVE_RUN_CLOBBERS                                                                           \
    "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r8", "r9", "r10", "r11", "lr", "d0", "d1", "d2", "d3", "d4", \
        "d5", "d6", "d7", "d8", "d9", "d10", "d11", "d12", "d13", "d14", "d15", "cc", "memory"

/* The asm reads the context at fixed offsets. */
typedef char mnc_dw_mve_run_layout_check[(offsetof(mnc_dw_mve_run_t, filter) == 36 &&
                                          offsetof(mnc_dw_mve_run_t, act_min) == 48 &&
                                          offsetof(mnc_dw_mve_run_t, offset) == 80 &&
                                          offsetof(mnc_dw_mve_run_t, extra) == 100) ? 1 : -1];

static void mnc_dw_mve_run(mnc_dw_mve_run_t *run, int right_only)
{
    register mnc_dw_mve_run_t *ctx __asm__("r12") = run;
    if (right_only) {
        __asm__ volatile(MNC_DW_MVE_RUN_ASM(MNC_DW_MVE_REQ_RIGHT_ALL) : "+r"(ctx) : : MNC_DW_MVE_RUN_CLOBBERS);
    } else {
        __asm__ volatile(MNC_DW_MVE_RUN_ASM(MNC_DW_MVE_REQ_ANY_ALL) : "+r"(ctx) : : MNC_DW_MVE_RUN_CLOBBERS);
    }
}

/* ---- single windows in C (padded columns, partial blocks) ------------------------------------------ */

/* `lanes` lane channels of one window whose taps start at win->tap[], block by block under a lane
 * predicate, so nothing past the tensor is read or written. */
static void mnc_dw_mve_window_out(const mnc_depthwise_conv2d_mve_params_t *p, const mnc_dw_mve_window_t *win,
                                  int8_t *out, int32_t lanes)
{
    const int8_t *block = p->filter;
    for (int32_t c = 0; c < lanes; c += MNC_DW_MVE_LANES, block += MNC_DW_MVE_BLOCK_BYTES) {
        const mve_pred16_t on = vctp8q((uint32_t)(lanes - c));
        const int8_t *w = block;
        const int32_t *q = (const int32_t *)(const void *)(block + MNC_DW_MVE_WEIGHT_BYTES);
        const int8_t *const *t = win->tap;
        int32x4_t acc[4] = {vldrwq_s32(q), vldrwq_s32(q + 16), vldrwq_s32(q + 32), vldrwq_s32(q + 48)};
        for (int32_t k = 0; k + 1 < MNC_DW_MVE_TAPS; k += 2) {
            mnc_dw_mve_pair(vldrbq_z_s8(t[k] + c, on), vldrbq_s8(w + 16 * k), vldrbq_z_s8(t[k + 1] + c, on),
                            vldrbq_s8(w + 16 * (k + 1)), acc);
        }
        mnc_dw_mve_single(vldrbq_z_s8(t[8] + c, on), vldrbq_s8(w + 128), acc);
        vstrbq_p_s8(out + c,
                    mnc_dw_mve_requant(acc, q, p->right_shift_only, p->output_offset, p->act_min, p->act_max), on);
    }
}

/* Tap pointers of the window whose top-left input position is (iy, ix). A padded row reads the pad
 * row at the same offset, so runs advance over it like over real rows; a padded column reads its start. */
static void mnc_dw_mve_window(const mnc_depthwise_conv2d_mve_params_t *p, const int8_t *const rows[3], int32_t ix,
                              mnc_dw_mve_window_t *win)
{
    for (int32_t ky = 0; ky < 3; ky++) {
        for (int32_t kx = 0; kx < 3; kx++) {
            const int32_t x = ix + kx;
            win->tap[ky * 3 + kx] = x >= 0 && x < p->in_w ? rows[ky] + x * p->in_c : p->pad_row;
        }
    }
}

/* Windows of one output row that go to the asm: from ox, as long as no column is padded. With
 * `group` > 1 a window is `group` adjacent pixels (stride 1). Returns how many windows, 0 if none. */
static int32_t mnc_dw_mve_run_length(const mnc_depthwise_conv2d_mve_params_t *p, int32_t ox, int32_t ix)
{
    const int32_t group = p->group;
    const int32_t last_ix = p->in_w - group - 2;          /* the last window start with all columns inside */
    if (ix < 0 || ix > last_ix || (group == 1 && p->in_c % MNC_DW_MVE_LANES != 0)) {
        return 0;
    }
    return MNC_MIN((last_ix - ix) / (p->stride_w * group) + 1, (p->out_w - ox) / group);
}

/* A group whose columns are partly padded: its 3 x (group + 2) input pixels copied into `strip` with
 * zero points in the padded columns, so the taps are contiguous again. */
#define MNC_DW_MVE_STRIP 48           /* (group + 2) * in_c bytes: at most 16 + 2 * 16 */

static void mnc_dw_mve_strip(const mnc_depthwise_conv2d_mve_params_t *p, const int8_t *const rows[3], int32_t ix,
                             int8_t strip[3][MNC_DW_MVE_STRIP], mnc_dw_mve_window_t *win)
{
    const int32_t c = p->in_c;
    const mve_pred16_t pixel = vctp8q((uint32_t)c);      /* in_c < 16 bytes: one predicated copy */
    for (int32_t ky = 0; ky < 3; ky++) {
        for (int32_t j = 0; j < p->group + 2; j++) {
            const int32_t x = ix + j;
            const int8_t *src = x >= 0 && x < p->in_w ? rows[ky] + x * c : p->pad_row;
            vstrbq_p_s8(&strip[ky][j * c], vldrbq_z_s8(src, pixel), pixel);
        }
        for (int32_t kx = 0; kx < 3; kx++) {
            win->tap[ky * 3 + kx] = &strip[ky][kx * c];
        }
    }
}

/* The taps of an unpadded window starting `offset` bytes into the three input rows. */
static inline void mnc_dw_mve_run_taps(const int8_t *const rows[3], int32_t offset, int32_t c, mnc_dw_mve_run_t *run)
{
    for (int32_t ky = 0; ky < 3; ky++) {
        const int8_t *left = rows[ky] + offset;
        run->tap[3 * ky] = left;
        run->tap[3 * ky + 1] = left + c;
        run->tap[3 * ky + 2] = left + 2 * c;
    }
}

/* One output row: runs of unpadded windows, lone padded windows (as runs of one, a group's through a
 * strip) and, only for partial blocks, single pixels in C. */
static void mnc_dw_mve_row(const mnc_depthwise_conv2d_mve_params_t *p, const int8_t *const rows[3], int8_t *out,
                           mnc_dw_mve_run_t *run)
{
    const int32_t c = p->in_c, group = p->group;
    for (int32_t ox = 0; ox < p->out_w;) {
        const int32_t ix = ox * p->stride_w - p->pad_left;
        int32_t windows = mnc_dw_mve_run_length(p, ox, ix);
        int8_t strip[3][MNC_DW_MVE_STRIP];   /* read by the run below */
        if (windows > 0) {
            mnc_dw_mve_run_taps(rows, ix * c, c, run);
        } else {
            mnc_dw_mve_window_t win;
            if (group > 1 && ox + group <= p->out_w) {
                mnc_dw_mve_strip(p, rows, ix, strip, &win);
            } else {
                mnc_dw_mve_window(p, rows, ix, &win);
            }
            if ((group == 1 && c % MNC_DW_MVE_LANES != 0) || (group > 1 && ox + group > p->out_w)) {
                mnc_dw_mve_window_out(p, &win, out + ox * c, c);   /* partial blocks */
                ox++;
                continue;
            }
            for (int32_t k = 0; k < MNC_DW_MVE_TAPS; k++) {
                run->tap[k] = win.tap[k];
            }
            windows = 1;
        }
        run->out = out + ox * c;
        run->windows = windows;
        mnc_dw_mve_run(run, p->right_shift_only);
        ox += windows * group;
    }
}

void mnc_depthwise_conv2d_mve_s8(const mnc_depthwise_conv2d_mve_params_t *p, const int8_t *in, int8_t *out)
{
    const int32_t c = p->in_c, lanes = c * p->group;
    mnc_dw_mve_run_t run;
    run.filter = p->filter;
    run.blocks = lanes / MNC_DW_MVE_LANES;
    run.extra = (p->stride_w - 1) * lanes;
    for (int32_t k = 0; k < 16; k++) {
        run.act_min[k] = (int8_t)p->act_min;
        run.act_max[k] = (int8_t)p->act_max;
        run.offset[k / 2] = (int16_t)p->output_offset;
    }
    for (int32_t oy = 0; oy < p->out_h; oy++) {
        const int32_t iy = oy * p->stride_h - p->pad_top;
        const int8_t *rows[3];
        for (int32_t ky = 0; ky < 3; ky++) {
            const int32_t y = iy + ky;
            rows[ky] = y >= 0 && y < p->in_h ? in + y * p->in_w * c : p->pad_row;
        }
        mnc_dw_mve_row(p, rows, out + oy * p->out_w * c, &run);
    }
}
