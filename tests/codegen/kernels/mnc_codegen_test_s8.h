/* Test-only kernels for the code generation tests: a lookup table (using scratch) and a saturating add. */
#ifndef MNC_CODEGEN_TEST_S8_H
#define MNC_CODEGEN_TEST_S8_H

#include <stdint.h>

typedef struct {
    int32_t size;
    const int8_t *lut;
} mnc_codegen_test_lut_params_t;

typedef struct {
    int32_t size;
    int32_t offset;
} mnc_codegen_test_add_params_t;

void mnc_codegen_test_lut_s8(const mnc_codegen_test_lut_params_t *p, const int8_t *in0, int8_t *out,
                             int8_t *scratch);
void mnc_codegen_test_add_s8(const mnc_codegen_test_add_params_t *p, const int8_t *in0, const int8_t *in1,
                             int8_t *out);

#endif
