/* int8 unary activation by a 256-entry table computed at compile time. */
#ifndef MNC_LUT_S8_H
#define MNC_LUT_S8_H

#include <stdint.h>

typedef struct {
    int32_t size;
    const int8_t *lut;   /* 256 entries, indexed by input + 128 */
} mnc_lut_params_t;

void mnc_lut_s8(const mnc_lut_params_t *p, const int8_t *in, int8_t *out);

#endif
