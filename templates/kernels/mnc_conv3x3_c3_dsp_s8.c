/* 3x3 convolution of a 3-channel input without im2col. A window row is 9 contiguous int8 (3 pixels x
 * 3 channels), read straight from the input as two words and a byte; SXTB16 turns each word into the
 * int16 pairs of one GEMM group, and the three 9th bytes share a seventh group: 28 reduction slots for
 * 27 taps. Two pixels at a time are then multiplied against every output channel pair by the shared
 * DSP GEMM core (SMLAD over channel pairs). Windows that touch the padding are first copied into a
 * 27-byte window with the input zero point in the padded taps (which, with the input offset folded
 * into the bias, add exactly 0, as TFLite's skipped taps do).
 *
 * Reduction order (the descriptor lays the weights out the same way), per window row r = 0..2 with
 * bytes b0..b8: group 2r = b0..b3, group 2r + 1 = b4..b7; group 6 = [b8 of row 0, b8 of row 2,
 * b8 of row 1, nothing], unpacked as [row 0, row 1] and [row 2, junk] (its weight is 0). */
#include "mnc_conv3x3_c3_dsp_s8.h"

#include "mnc_gemm_dsp_s8.h"

#define MNC_C3_GROUPS 7

/* The window whose rows start `row_stride` bytes apart at x into one pixel slot of the column buffer
 * (words 4 apart). Reads exactly the 9 bytes of each row. */
static inline void mnc_c3_column(const int8_t *x, int32_t row_stride, uint32_t *slot)
{
    int32_t last[3];
    for (int32_t r = 0; r < 3; r++, x += row_stride, slot += 8) {
        const uint32_t v0 = mnc_load_u32(x), v1 = mnc_load_u32(x + 4);
        slot[0] = (uint32_t)__sxtb16(v0);
        slot[1] = (uint32_t)mnc_sxtb16_hi(v0);
        slot[4] = (uint32_t)__sxtb16(v1);
        slot[5] = (uint32_t)mnc_sxtb16_hi(v1);
        last[r] = x[8];
    }
    slot[0] = ((uint32_t)last[0] & 0xffffu) | ((uint32_t)last[1] << 16);
    slot[1] = (uint32_t)last[2];
}

/* Window of output pixel (oy, ox) that touches the padding, as 27 int8 in `window`. */
static void mnc_c3_padded_window(const mnc_conv3x3_c3_dsp_params_t *p, const int8_t *in, int32_t iy0,
                                 int32_t ix0, int8_t *window)
{
    for (int32_t r = 0; r < 3; r++) {
        const int32_t iy = iy0 + r;
        for (int32_t k = 0; k < 3; k++) {
            const int32_t ix = ix0 + k;
            int8_t *dst = window + 9 * r + 3 * k;
            if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {
                dst[0] = dst[1] = dst[2] = (int8_t)p->pad_value;
            } else {
                const int8_t *src = in + 3 * (iy * p->in_w + ix);
                dst[0] = src[0];
                dst[1] = src[1];
                dst[2] = src[2];
            }
        }
    }
}

/* Output pixel (oy, ox)'s window into a column buffer slot. */
static void mnc_c3_pixel(const mnc_conv3x3_c3_dsp_params_t *p, const int8_t *in, int32_t oy, int32_t ox,
                         int8_t *window, uint32_t *slot)
{
    const int32_t iy0 = oy * p->stride_h - p->pad_top, ix0 = ox * p->stride_w - p->pad_left;
    if (iy0 >= 0 && iy0 + 3 <= p->in_h && ix0 >= 0 && ix0 + 3 <= p->in_w) {
        mnc_c3_column(in + 3 * (iy0 * p->in_w + ix0), 3 * p->in_w, slot);
    } else {
        mnc_c3_padded_window(p, in, iy0, ix0, window);
        mnc_c3_column(window, 9, slot);
    }
}

void mnc_conv3x3_c3_dsp_s8(const mnc_conv3x3_c3_dsp_params_t *p, const int8_t *in, int8_t *out, int8_t *scratch)
{
    uint32_t *cols = (uint32_t *)(void *)scratch;            /* 16 * MNC_C3_GROUPS bytes */
    int8_t *window = scratch + 16 * MNC_C3_GROUPS;           /* 27 bytes, 32 reserved */
    int8_t *discard = window + 32;                           /* outputs of the phantom pixel of an odd count */
    const mnc_dsp_gemm_t g = {MNC_C3_GROUPS, p->out_c, p->output_offset, p->act_min, p->act_max,
                              p->fast_requant, p->weights, p->quant, p->shift};
    const int32_t pixels = p->out_h * p->out_w;
    int32_t oy = 0, ox = 0;   /* of pixel pix */
    for (int32_t pix = 0; pix < pixels; pix += 2) {
        const int pair = pix + 1 < pixels;   /* else the slot of pixel 1 repeats pixel 0 */
        int8_t *y0 = out + pix * p->out_c, *y1 = pair ? y0 + p->out_c : discard;
        mnc_c3_pixel(p, in, oy, ox, window, cols);
        if (pair && ++ox == p->out_w) {
            ox = 0;
            oy++;
        }
        mnc_c3_pixel(p, in, oy, ox, window, cols + 2);
        if (++ox == p->out_w) {
            ox = 0;
            oy++;
        }
        mnc_dsp_gemm_2px(&g, cols, y0, y1);
    }
}
