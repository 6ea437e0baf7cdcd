/* The GEMM core of the Helium convolutions (mnc_conv1x1_mve_s8, mnc_conv2d_mve_s8): four pixels
 * against every output channel. Each pixel is a row of k16 bytes (the reduction, k values, then
 * anything: the weights beyond k are zero); each output channel is one VMLADAV(A) chain of 16 int8
 * products per instruction into a scalar accumulator per pixel. The four sums become one vector that
 * is requantized with the channel's scalar parameters (mnc_requant_mve_s8.h explains why it is
 * TFLite's rounding bit for bit) and scattered to the four pixels' outputs.
 *
 * Why assembly: GCC 12 reloads the four row pointers, the loop bounds and the constants around every
 * channel and spends 40+ instructions per channel beyond the dot products; here a channel costs its
 * loads and VMLADAVs plus 14 instructions. Fixed registers: rows r1, r3, r5, r9; weights r11; quant
 * records r10; output r8; context r12; accumulators r0, r2, r4, r6 (VMLADAV takes even registers
 * only), also the record's fields during requantization; lr the loop counter (r7, the Thumb frame
 * pointer, is left alone). q0 weights, q1 pixel data, q2 output lane offsets, q3 the channel's sums (through memory), q4 temporary,
 * q5 output zero point, q6/q7 activation range. */
#ifndef MNC_GEMM_MVE_S8_H
#define MNC_GEMM_MVE_S8_H

#include <stddef.h>
#include <stdint.h>

#include "mnc_requant_mve_s8.h"

#define MNC_GEMM_MVE_PIXELS 4
#define MNC_GEMM_MVE_QUANT_FIELDS 4   /* per channel: bias + input_offset * sum(w), multiplier, left shift
                                         (>= 0), -right shift (<= 0) */

typedef struct {
    const int8_t *x[MNC_GEMM_MVE_PIXELS];   /* 0: the first block's pixel rows; a block of fewer pixels
                                               repeats its last one */
    const int8_t *weights;                  /* 16: [out_c][k16], zero beyond k */
    const int32_t *quant;                   /* 20: [out_c][4] */
    int8_t *out;                            /* 24: the first block's first pixel's outputs */
    int32_t out_c;                          /* 28 */
    int32_t k_rest;                         /* 32: k16 / 16 - 1 */
    const int8_t *weights_end;              /* 36: weights + out_c * k16 */
    int32_t step;                           /* 40: bytes between a block's rows and the next block's */
    int32_t out_next;                       /* 44: 3 * out_c: from past a block's first pixel's outputs
                                               to the next block's */
    int32_t lanes[MNC_GEMM_MVE_PIXELS];     /* 48: byte offset of each pixel's outputs from `out` */
    int32_t offset[4];                      /* 64: output zero point */
    int32_t act_min[4];                     /* 80 */
    int32_t act_max[4];                     /* 96 */
    int32_t sums[MNC_GEMM_MVE_PIXELS];      /* 112: one channel's four sums on their way into a vector
                                               (not the dual-lane VMOV: its lane order is where
                                               assemblers and emulators have disagreed) */
    int32_t blocks;                         /* 128: blocks in the run */
} mnc_gemm_mve_t;

typedef char mnc_gemm_mve_layout_check[(offsetof(mnc_gemm_mve_t, weights) == 16 &&
                                        offsetof(mnc_gemm_mve_t, weights_end) == 36 &&
                                        offsetof(mnc_gemm_mve_t, out_next) == 44 &&
                                        offsetof(mnc_gemm_mve_t, lanes) == 48 &&
                                        offsetof(mnc_gemm_mve_t, act_max) == 96 &&
                                        offsetof(mnc_gemm_mve_t, sums) == 112 &&
                                        offsetof(mnc_gemm_mve_t, blocks) == 128) ? 1 : -1];

/* The part of the context that stays the same for a whole layer. */
static inline void mnc_gemm_mve_init(mnc_gemm_mve_t *g, const int8_t *weights, const int32_t *quant, int32_t out_c,
                                     int32_t k16, int32_t output_offset, int32_t act_min, int32_t act_max)
{
    g->weights = weights;
    g->quant = quant;
    g->out_c = out_c;
    g->k_rest = k16 / 16 - 1;
    g->weights_end = weights + out_c * k16;
    g->out_next = 3 * out_c;
    for (int32_t j = 0; j < 4; j++) {
        g->lanes[j] = j * out_c;
        g->offset[j] = output_offset;
        g->act_min[j] = act_min;
        g->act_max[j] = act_max;
    }
}

/* A run of `blocks` full blocks whose rows are evenly spaced: row j of block b at
 * first + (b * 4 + j) * pitch, outputs from out. */
static inline void mnc_gemm_mve_strided(mnc_gemm_mve_t *g, const int8_t *first, int32_t pitch, int8_t *out,
                                        int32_t blocks)
{
    for (int32_t j = 0; j < MNC_GEMM_MVE_PIXELS; j++) {
        g->x[j] = first + j * pitch;
    }
    g->step = MNC_GEMM_MVE_PIXELS * pitch;
    g->out = out;
    g->blocks = blocks;
}

/* n bytes from src to dst in 16-byte stores (the last one zero-filled): dst has room for n rounded
 * up to 16, src is read only up to n. */
static inline void mnc_gemm_mve_copy(int8_t *dst, const int8_t *src, int32_t n)
{
    for (; n > 0; n -= 16, src += 16, dst += 16) {
        vstrbq_s8(dst, vldrbq_z_s8(src, vctp8q((uint32_t)n)));
    }
}

/* A block of fewer than four pixels (rows 0..rows-1 set): the last one repeats, and its repeated
 * lanes store the same bytes to the same place. Only the layer's last block has one, so the lanes are
 * not restored. */
static inline void mnc_gemm_mve_repeat_last(mnc_gemm_mve_t *g, int32_t rows)
{
    for (int32_t j = rows; j < MNC_GEMM_MVE_PIXELS; j++) {
        g->x[j] = g->x[rows - 1];
        g->lanes[j] = (rows - 1) * g->out_c;
    }
}

/* The run: constants, then per block the rows, weights, records and output pointer; after the
 * block (`channels` leaves r1-r9 at the block's rows and r8 past its first pixel's outputs) the next
 * block's are stored back into the context. */
#define MNC_GEMM_MVE_RUN(channels)                                                                        \
    "vldrw.32 q2, [r12, #48]\n\t"                                                                         \
    "vldrw.32 q5, [r12, #64]\n\t"                                                                         \
    "vldrw.32 q6, [r12, #80]\n\t"                                                                         \
    "vldrw.32 q7, [r12, #96]\n\t"                                                                         \
    "0:\n\t"                                                                                              \
    "ldm r12, {r1, r3, r5, r9}\n\t"                                                                       \
    "ldrd r11, r10, [r12, #16]\n\t"                                                                       \
    "ldr r8, [r12, #24]\n\t" channels                                                                     \
    "ldr lr, [r12, #40]\n\t"                                                                              \
    "add r1, r1, lr\n\t"                                                                                  \
    "add r3, r3, lr\n\t"                                                                                  \
    "add r5, r5, lr\n\t"                                                                                  \
    "add r9, r9, lr\n\t"                                                                                  \
    "stm r12, {r1, r3, r5, r9}\n\t"                                                                       \
    "ldr lr, [r12, #44]\n\t"                                                                              \
    "add r8, r8, lr\n\t"                                                                                  \
    "str r8, [r12, #24]\n\t"                                                                              \
    "ldr lr, [r12, #128]\n\t"                                                                             \
    "subs lr, lr, #1\n\t"                                                                                 \
    "str lr, [r12, #128]\n\t"                                                                             \
    "bne 0b\n\t"

/* 16 reduction values of the four pixels; `op` vmladav (first block) or vmladava, `at` the rows'
 * addressing ("" or ", #16" without write-back, "], #16" ... with it: see the users). */
#define MNC_GEMM_MVE_DOT(op, at)                                                                          \
    "vldrb.8 q0, [r11], #16\n\t"                                                                          \
    "vldrb.8 q1, [r1" at "\n\t"                                                                           \
    op ".s8 r0, q1, q0\n\t"                                                                               \
    "vldrb.8 q1, [r3" at "\n\t"                                                                           \
    op ".s8 r2, q1, q0\n\t"                                                                               \
    "vldrb.8 q1, [r5" at "\n\t"                                                                           \
    op ".s8 r4, q1, q0\n\t"                                                                               \
    "vldrb.8 q1, [r9" at "\n\t"                                                                           \
    op ".s8 r6, q1, q0\n\t"

/* Sums -> q3 (lanes = pixels), + bias, requantized, + zero point, clamped. `fixup` is the rounding
 * fix-up: unconditional when every channel shifts right, skipped per channel otherwise. */
#define MNC_GEMM_MVE_REQUANT(left, fixup)                                                                 \
    "strd r0, r2, [r12, #112]\n\t"                                                                        \
    "strd r4, r6, [r12, #120]\n\t"                                                                        \
    "vldrw.32 q3, [r12, #112]\n\t"                                                                        \
    "ldm r10!, {r0, r2, r4, r6}\n\t"                                                                      \
    "vadd.i32 q3, q3, r0\n\t" left                                                                        \
    "vqrdmulh.s32 q3, q3, r2\n\t" fixup                                                                   \
    "vshr.s32 q4, q3, #31\n\t"                                                                            \
    "vqadd.s32 q3, q3, q4\n\t"                                                                            \
    "5:\n\t"                                                                                              \
    "vrshl.s32 q3, r6\n\t"                                                                                \
    "vadd.i32 q3, q3, q5\n\t"                                                                             \
    "vmax.s32 q3, q3, q6\n\t"                                                                             \
    "vmin.s32 q3, q3, q7\n\t"                                                                             \
    "vstrb.32 q3, [r8, q2]\n\t"                                                                           \
    "adds r8, r8, #1\n\t"

#define MNC_GEMM_MVE_RIGHT MNC_GEMM_MVE_REQUANT("", "")
#define MNC_GEMM_MVE_ANY MNC_GEMM_MVE_REQUANT("vshl.s32 q3, r4\n\t", "cmp r6, #0\n\tbeq 5f\n\t")

/* k16 == 16 and k16 == 32: the rows are read in place, the channel count is the loop counter. */
#define MNC_GEMM_MVE_K16(requant)                                                                         \
    "ldr lr, [r12, #28]\n\t"                                                                              \
    "dls lr, lr\n\t"                                                                                      \
    "1:\n\t" MNC_GEMM_MVE_DOT("vmladav", "]") requant "le lr, 1b\n\t"

#define MNC_GEMM_MVE_K32(requant)                                                                         \
    "ldr lr, [r12, #28]\n\t"                                                                              \
    "dls lr, lr\n\t"                                                                                      \
    "1:\n\t" MNC_GEMM_MVE_DOT("vmladav", "]") MNC_GEMM_MVE_DOT("vmladava", ", #16]") requant               \
    "le lr, 1b\n\t"

/* Any k16 >= 32: the rows advance through the reduction and are reloaded per channel; the channel
 * loop ends when the weights do. */
#define MNC_GEMM_MVE_KN(requant)                                                                          \
    "1:\n\t" MNC_GEMM_MVE_DOT("vmladav", "], #16")                                                        \
    "ldr lr, [r12, #32]\n\t"                                                                              \
    "dls lr, lr\n\t"                                                                                      \
    "2:\n\t" MNC_GEMM_MVE_DOT("vmladava", "], #16") "le lr, 2b\n\t"                                       \
    "ldm r12, {r1, r3, r5, r9}\n\t" requant                                                               \
    "ldr lr, [r12, #36]\n\t"                                                                              \
    "cmp r11, lr\n\t"                                                                                     \
    "bne 1b\n\t"

#define MNC_GEMM_MVE_CLOBBERS                                                                             \
    "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r8", "r9", "r10", "r11", "lr", "d0", "d1", "d2", "d3", "d4", \
        "d5", "d6", "d7", "d8", "d9", "d10", "d11", "d12", "d13", "d14", "d15", "cc", "memory"

#define MNC_GEMM_MVE_CALL(loop)                                                                           \
    __asm__ volatile(MNC_GEMM_MVE_RUN(loop) : "+r"(ctx) : : MNC_GEMM_MVE_CLOBBERS)

/* Every output channel of g->blocks blocks (k16 = 16 * (k_rest + 1)). Not inlined: the asm clobbers
 * nearly every register, which would make GCC spill the caller's loop state around it. */
static __attribute__((noinline, unused)) void mnc_gemm_mve_run(mnc_gemm_mve_t *g, int right_only)
{
    register mnc_gemm_mve_t *ctx __asm__("r12") = g;
    if (g->k_rest == 0) {
        if (right_only) {
            MNC_GEMM_MVE_CALL(MNC_GEMM_MVE_K16(MNC_GEMM_MVE_RIGHT));
        } else {
            MNC_GEMM_MVE_CALL(MNC_GEMM_MVE_K16(MNC_GEMM_MVE_ANY));
        }
    } else if (g->k_rest == 1) {
        if (right_only) {
            MNC_GEMM_MVE_CALL(MNC_GEMM_MVE_K32(MNC_GEMM_MVE_RIGHT));
        } else {
            MNC_GEMM_MVE_CALL(MNC_GEMM_MVE_K32(MNC_GEMM_MVE_ANY));
        }
    } else if (right_only) {
        MNC_GEMM_MVE_CALL(MNC_GEMM_MVE_KN(MNC_GEMM_MVE_RIGHT));
    } else {
        MNC_GEMM_MVE_CALL(MNC_GEMM_MVE_KN(MNC_GEMM_MVE_ANY));
    }
}

#endif
