/* Add with the DSP extension's requantization. TFLite's three MultiplyByQuantizedMultiplier calls see
 * small values: |(a - za) << left_shift| <= 255 * 2^20 < 2^28 and the sum of two rescaled inputs stays
 * below 2^29, so
 * - a call whose shift is a right shift of 1..31 takes the fast SMMULR path of mnc_requant_dsp_s8.h,
 *   exact there (see its proof);
 * - a call without shift (the input with the larger scale, in TFLite's parameters) is one SMMULR:
 *   SaturatingRoundingDoublingHighMul(x, m) rounds half up like SMMULR(2 * x, m) = floor((x * m + 2^30)
 *   / 2^31) (TFLite's nudge 1 - 2^30 with truncation gives -floor((n + 2^30 - 1) / 2^31) for x * m = -n,
 *   which is the same integer), and 2 * x cannot overflow;
 * - a left shift (never produced for Add by TFLite's parameters) takes the exact 64-bit path. */
#include "mnc_add_dsp_s8.h"

#include "mnc_elementwise_walk_s8.h"
#include "mnc_requant_dsp_s8.h"

enum { MNC_ADD_DSP_EXACT, MNC_ADD_DSP_RIGHT, MNC_ADD_DSP_NO_SHIFT };

static inline int mnc_add_dsp_path(int32_t shift)
{
    return shift == 0 ? MNC_ADD_DSP_NO_SHIFT : shift <= -1 && shift >= -31 ? MNC_ADD_DSP_RIGHT : MNC_ADD_DSP_EXACT;
}

/* One input's requantization, without offset or clamp. */
static inline __attribute__((always_inline)) int32_t mnc_add_dsp_rescale(int32_t x, int32_t mult, int32_t shift,
                                                                         int path)
{
    if (path == MNC_ADD_DSP_NO_SHIFT) {
        return mnc_smmulr(2 * x, mult);
    }
    return path == MNC_ADD_DSP_RIGHT ? mnc_dsp_requantize_fast(2 * x, mult, -shift - 1, 1)
                                     : mnc_requantize(x, mult, shift);
}

static inline __attribute__((always_inline)) void mnc_add_dsp_run(const mnc_add_dsp_params_t *p, const int8_t *a,
        const int8_t *b, int8_t *y, int32_t n, int contiguous_a, int contiguous_b, int path_a, int path_b)
{
    const mnc_dsp_out_t o = mnc_dsp_out(p->output_offset, p->act_min, p->act_max);
    const int fast_out = mnc_add_dsp_path(p->output_shift) == MNC_ADD_DSP_RIGHT;
    const int32_t out_shift = -p->output_shift - 1;   /* mnc_dsp_output's convention: right shift - 1 */
    const int32_t a0 = (a[0] + p->in0_offset) * (1 << p->left_shift);
    const int32_t b0 = (b[0] + p->in1_offset) * (1 << p->left_shift);
    for (int32_t i = 0; i < n; i++) {
        const int32_t va = contiguous_a ? (a[i] + p->in0_offset) * (1 << p->left_shift) : a0;
        const int32_t vb = contiguous_b ? (b[i] + p->in1_offset) * (1 << p->left_shift) : b0;
        const int32_t sum = mnc_add_dsp_rescale(va, p->in0_multiplier, p->in0_shift, path_a) +
                            mnc_add_dsp_rescale(vb, p->in1_multiplier, p->in1_shift, path_b);
        y[i] = (int8_t)mnc_dsp_output(sum, p->output_multiplier, out_shift, &o, fast_out, 0, 0);
    }
}

/* TFLite's usual parameters (one input without shift, the other shifted right) as constants. */
static inline __attribute__((always_inline)) void mnc_add_dsp_row(const mnc_add_dsp_params_t *p, const int8_t *a,
        const int8_t *b, int8_t *y, int32_t n, int contiguous_a, int contiguous_b)
{
    const int path_a = mnc_add_dsp_path(p->in0_shift), path_b = mnc_add_dsp_path(p->in1_shift);
    if (path_a == MNC_ADD_DSP_NO_SHIFT && path_b == MNC_ADD_DSP_RIGHT) {
        mnc_add_dsp_run(p, a, b, y, n, contiguous_a, contiguous_b, MNC_ADD_DSP_NO_SHIFT, MNC_ADD_DSP_RIGHT);
    } else {
        mnc_add_dsp_run(p, a, b, y, n, contiguous_a, contiguous_b, path_a, path_b);
    }
}

void mnc_add_dsp_s8(const mnc_add_dsp_params_t *p, const int8_t *in0, const int8_t *in1, int8_t *out)
{
#define MNC_ADD_DSP_ROW(a, b, y, n, ca, cb) mnc_add_dsp_row(p, a, b, y, n, ca, cb)
    MNC_EW_WALK(p, in0, in1, out, MNC_ADD_DSP_ROW);
#undef MNC_ADD_DSP_ROW
}
