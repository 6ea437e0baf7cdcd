/* Mul with the DSP extension's requantization: |(a - za) * (b - zb)| <= 255 * 255 < 2^29, so whenever the
 * output shift is a right shift of 1..31 the fast SMMULR path of mnc_requant_dsp_s8.h is exact (see
 * there), which replaces TFLite's 64-bit arithmetic by five instructions per output. Other shifts take
 * the exact path. Rows are walked without per-element index arithmetic. */
#include "mnc_mul_dsp_s8.h"

#include "mnc_elementwise_walk_s8.h"
#include "mnc_requant_dsp_s8.h"

static inline __attribute__((always_inline)) void mnc_mul_dsp_run(const mnc_mul_dsp_params_t *p, const int8_t *a,
        const int8_t *b, int8_t *y, int32_t n, int contiguous_a, int contiguous_b, int fast, int full)
{
    const mnc_dsp_out_t o = mnc_dsp_out(p->output_offset, p->act_min, p->act_max);
    const int32_t shift = -p->output_shift - 1;   /* mnc_dsp_output's convention: right shift - 1 */
    const int32_t a0 = a[0] + p->in0_offset, b0 = b[0] + p->in1_offset;
    for (int32_t i = 0; i < n; i++) {
        const int32_t va = contiguous_a ? a[i] + p->in0_offset : a0;
        const int32_t vb = contiguous_b ? b[i] + p->in1_offset : b0;
        y[i] = (int8_t)mnc_dsp_output(va * vb, p->output_multiplier, shift, &o, fast, full, 0);
    }
}

static inline __attribute__((always_inline)) void mnc_mul_dsp_row(const mnc_mul_dsp_params_t *p, const int8_t *a,
        const int8_t *b, int8_t *y, int32_t n, int contiguous_a, int contiguous_b)
{
    const int fast = p->output_shift <= -1 && p->output_shift >= -31;
#define MNC_MUL_DSP_RUN(fast_, full_) mnc_mul_dsp_run(p, a, b, y, n, contiguous_a, contiguous_b, fast_, full_)
    MNC_DSP_SPECIALISE(fast, mnc_dsp_full_range(p->act_min, p->act_max), MNC_MUL_DSP_RUN);
#undef MNC_MUL_DSP_RUN
}

void mnc_mul_dsp_s8(const mnc_mul_dsp_params_t *p, const int8_t *in0, const int8_t *in1, int8_t *out)
{
#define MNC_MUL_DSP_ROW(a, b, y, n, ca, cb) mnc_mul_dsp_row(p, a, b, y, n, ca, cb)
    MNC_EW_WALK(p, in0, in1, out, MNC_MUL_DSP_ROW);
#undef MNC_MUL_DSP_ROW
}
