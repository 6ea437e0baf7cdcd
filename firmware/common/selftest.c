/* Self-test main: floating point and, on Helium cores, one MVE instruction. Either traps (and the
 * run fails) unless the reset handler enabled CP10/CP11. Prints "MNC-SELFTEST <a*b*1000> <dot|none>". */
#include <stdint.h>

#if defined(__ARM_FEATURE_MVE)
#include <arm_mve.h>
#endif

#include "semihost.h"
#include "text.h"

static volatile float factor_a = 1.5f;
static volatile float factor_b = -2.25f;
static volatile int8_t vector_a[16] = {1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12, 13, -14, 15, -128};
static volatile int8_t vector_b[16] = {127, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2};

int main(void)
{
    char line[64] = "MNC-SELFTEST ";
    char *end = fw_append_i32(line + 13, (int32_t)(factor_a * factor_b * 1000.0f));
    *end++ = ' ';
#if defined(__ARM_FEATURE_MVE)
    const int8x16_t a = vld1q_s8((const int8_t *)vector_a);
    const int8x16_t b = vld1q_s8((const int8_t *)vector_b);
    end = fw_append_i32(end, vmladavq_s8(a, b));
#else
    (void)vector_a;
    (void)vector_b;
    const char *none = "none";
    while (*none != '\0') {
        *end++ = *none++;
    }
#endif
    *end++ = '\n';
    *end = '\0';
    sh_write0(line);
    sh_write0("MNC-DONE\n");
    return 0;
}
