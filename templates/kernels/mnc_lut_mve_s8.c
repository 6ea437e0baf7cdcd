/* Table lookup on Helium: 16 inputs per step, their table indices (input + 128, i.e. the byte with its
 * top bit flipped) as unsigned byte offsets of one VLDRB gather; the tail under a lane predicate. */
#include "mnc_lut_mve_s8.h"

#include <arm_mve.h>

void mnc_lut_mve_s8(const mnc_lut_mve_params_t *p, const int8_t *in, int8_t *out)
{
    const uint8x16_t top = vdupq_n_u8(0x80);
    const int8_t *const lut = p->lut;
    int32_t n = p->size;
    for (; n >= 16; n -= 16, in += 16, out += 16) {
        const uint8x16_t index = veorq_u8(vreinterpretq_u8_s8(vldrbq_s8(in)), top);
        vstrbq_s8(out, vldrbq_gather_offset_s8(lut, index));
    }
    if (n > 0) {
        const mve_pred16_t on = vctp8q((uint32_t)n);
        const uint8x16_t index = veorq_u8(vreinterpretq_u8_s8(vldrbq_z_s8(in, on)), top);
        vstrbq_p_s8(out, vldrbq_gather_offset_z_s8(lut, index, on), on);
    }
}
