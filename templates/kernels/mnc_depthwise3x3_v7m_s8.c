/* See the header. Loop order: output rows, output pixels, channels (innermost, so the nine input taps of
 * a channel are at fixed distances from three row pointers that advance with the channel). */
#include "mnc_depthwise3x3_v7m_s8.h"

#include <string.h>

#include "mnc_requant_v7m_s8.h"

#define MNC_DW_TAPS 9

/* Every tap inside the input: rows r0..r2 start at the window's first column, c = channel stride. */
static inline __attribute__((always_inline)) void mnc_dw3_inside(const int8_t *r0, const int8_t *r1,
        const int8_t *r2, int32_t c, const int8_t *w, const int32_t *q, int8_t *y, const mnc_v7m_out_t *o,
        int fast)
{
    const int32_t c2 = 2 * c;
    for (int32_t ch = 0; ch < c; ch++, w += MNC_DW_TAPS, q += MNC_V7M_QUANT_FIELDS) {
        int32_t acc = q[0];
        acc += r0[ch] * w[0] + r0[ch + c] * w[1] + r0[ch + c2] * w[2];
        acc += r1[ch] * w[3] + r1[ch + c] * w[4] + r1[ch + c2] * w[5];
        acc += r2[ch] * w[6] + r2[ch + c] * w[7] + r2[ch + c2] * w[8];
        y[ch] = mnc_v7m_output(acc, q, o, fast);
    }
}

/* One window row of two horizontally adjacent output pixels (the second `step` bytes further), packed:
 * each tap's two inputs go into one word x0 + x1 * 2^21 and one SMLAL adds both products. */
#define MNC_DW_PAIR_ROW(r, w0, acc)                                                                \
    do {                                                                                         \
        acc += (int64_t)((int32_t)(r)[ch] + (int32_t)((uint32_t)(int32_t)(r)[ch + step] << 21)) * (w0)[0];          \
        acc += (int64_t)((int32_t)(r)[ch + c] + (int32_t)((uint32_t)(int32_t)(r)[ch + c + step] << 21)) * (w0)[1];  \
        acc += (int64_t)((int32_t)(r)[ch + c2] + (int32_t)((uint32_t)(int32_t)(r)[ch + c2 + step] << 21)) * (w0)[2]; \
    } while (0)

/* Two output pixels whose windows are both inside the input. The low 21 bits of the packed accumulator
 * hold the first pixel's sum (|sum| <= 9 * 128 * 128 < 2^20), the rest the second's. */
static inline __attribute__((always_inline)) void mnc_dw3_inside2(const int8_t *r0, const int8_t *r1,
        const int8_t *r2, int32_t c, int32_t step, const int8_t *w, const int32_t *q, int8_t *y,
        const mnc_v7m_out_t *o, int fast)
{
    const int32_t c2 = 2 * c;
    for (int32_t ch = 0; ch < c; ch++, w += MNC_DW_TAPS, q += MNC_V7M_QUANT_FIELDS) {
        int64_t acc = 0;
        MNC_DW_PAIR_ROW(r0, w, acc);
        MNC_DW_PAIR_ROW(r1, w + 3, acc);
        MNC_DW_PAIR_ROW(r2, w + 6, acc);
        const int32_t lo = (int32_t)((uint32_t)acc << 11) >> 11;
        const int32_t hi = (int32_t)((acc - lo) >> 21);
        y[ch] = mnc_v7m_output(lo + q[0], q, o, fast);
        y[ch + c] = mnc_v7m_output(hi + q[0], q, o, fast);
    }
}

/* A window that reaches into the padding: its 3x3 pixels are copied into `win` (the input zero point
 * where they leave the input, which adds exactly 0 since the input offset is folded into the bias), then
 * computed as an inside window. Copying 9 * channels bytes (word copies) costs less than testing every
 * tap of every channel. */
static void mnc_dw3_border(const mnc_depthwise3x3_v7m_params_t *p, const int8_t *x, int32_t iy, int32_t ix,
                           int8_t *y, int8_t *win, const mnc_v7m_out_t *o, int fast)
{
    const int32_t c = p->channels;
    int8_t *dst = win;
    for (int32_t ty = iy; ty < iy + 3; ty++) {
        for (int32_t tx = ix; tx < ix + 3; tx++, dst += c) {
            if (ty >= 0 && ty < p->in_h && tx >= 0 && tx < p->in_w) {
                memcpy(dst, x + (ty * p->in_w + tx) * c, (size_t)c);
            } else {
                memset(dst, p->input_zero_point, (size_t)c);
            }
        }
    }
    mnc_dw3_inside(win, win + 3 * c, win + 6 * c, c, p->weights, p->quant, y, o, fast);
}

static inline __attribute__((always_inline)) void mnc_dw3_run(const mnc_depthwise3x3_v7m_params_t *p,
        const int8_t *x, int8_t *y, int8_t *win, int fast)
{
    const mnc_v7m_out_t o = {1 + 2 * p->output_offset, p->output_offset, p->act_min, p->act_max};
    const int32_t c = p->channels, row = p->in_w * c;
    for (int32_t oy = 0; oy < p->out_h; oy++) {
        const int32_t iy = oy * p->stride_h - p->pad_top;
        const int rows_inside = iy >= 0 && iy + 3 <= p->in_h;
        for (int32_t ox = 0; ox < p->out_w; ox++, y += c) {
            const int32_t ix = ox * p->stride_w - p->pad_left;
            if (rows_inside && ix >= 0 && ix + 3 <= p->in_w) {
                const int8_t *r0 = x + iy * row + ix * c;
                const int32_t step = p->stride_w * c;
                if (ox + 1 < p->out_w && ix + p->stride_w + 3 <= p->in_w) {
                    mnc_dw3_inside2(r0, r0 + row, r0 + 2 * row, c, step, p->weights, p->quant, y, &o, fast);
                    ox++;
                    y += c;
                } else {
                    mnc_dw3_inside(r0, r0 + row, r0 + 2 * row, c, p->weights, p->quant, y, &o, fast);
                }
            } else {
                mnc_dw3_border(p, x, iy, ix, y, win, &o, fast);
            }
        }
    }
}

void mnc_depthwise3x3_v7m_s8(const mnc_depthwise3x3_v7m_params_t *p, const int8_t *x, int8_t *y, int8_t *scratch)
{
    if (p->fast_requant) {
        mnc_dw3_run(p, x, y, scratch, 1);
    } else {
        mnc_dw3_run(p, x, y, scratch, 0);
    }
}
