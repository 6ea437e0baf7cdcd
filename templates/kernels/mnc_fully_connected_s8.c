/* int8 fully connected layer: one dot product per output, two outputs sharing each input load. */
#include "mnc_fully_connected_s8.h"

#include "mnc_common.h"

static int8_t mnc_fc_output(const mnc_fully_connected_params_t *p, int32_t acc, int32_t o)
{
    acc += p->bias[o];
    acc = mnc_requantize(acc, p->multiplier[o], p->shift[o]) + p->output_offset;
    return mnc_clamp_s8(acc, p->act_min, p->act_max);
}

void mnc_fully_connected_s8(const mnc_fully_connected_params_t *p, const int8_t *in, int8_t *out)
{
    const int32_t n = p->in_size;
    const int32_t off = p->input_offset;
    int32_t o = 0;
    for (; o + 1 < p->out_size; o += 2) {
        const int8_t *w0 = p->weights + o * n;
        const int8_t *w1 = w0 + n;
        int32_t a0 = 0;
        int32_t a1 = 0;
        for (int32_t i = 0; i < n; i++) {
            const int32_t x = in[i] + off;
            a0 += x * w0[i];
            a1 += x * w1[i];
        }
        out[o] = mnc_fc_output(p, a0, o);
        out[o + 1] = mnc_fc_output(p, a1, o + 1);
    }
    if (o < p->out_size) {
        const int8_t *w0 = p->weights + o * n;
        int32_t a0 = 0;
        for (int32_t i = 0; i < n; i++) {
            a0 += (in[i] + off) * w0[i];
        }
        out[o] = mnc_fc_output(p, a0, o);
    }
}
