/* int8 unary activation by a 256-entry table on Helium (MVE) cores: 16 lookups per gather load.
 * Same results as mnc_lut_s8 (the same table). */
#ifndef MNC_LUT_MVE_S8_H
#define MNC_LUT_MVE_S8_H

#include <stdint.h>

typedef struct {
    int32_t size;
    const int8_t *lut;   /* 256 entries, indexed by input + 128 */
} mnc_lut_mve_params_t;

void mnc_lut_mve_s8(const mnc_lut_mve_params_t *p, const int8_t *in, int8_t *out);

#endif
