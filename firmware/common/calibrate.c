/* Clock calibration main: time busy loops of a known instruction count, so the runner can check
 * the machine's SysTick clock (retired instructions per tick under -icount shift=0). */
#include <stdint.h>

#include "semihost.h"
#include "ticks.h"

/* GCC hands Thumb-1 (ARMv6-M) inline assembly to the assembler in divided syntax, where the
 * flag-setting subtract is spelled "sub". */
#if __ARM_ARCH_ISA_THUMB == 1
#define MNC_SUBS_1 "sub %0, #1\n\t"
#else
#define MNC_SUBS_1 "subs %0, #1\n\t"
#endif

/* Exactly two instructions per iteration (subs + bne), whatever the compiler does around it. */
static void spin(uint32_t iterations)
{
    if (iterations == 0u) {
        return;
    }
    __asm__ volatile(
        "1:\n\t"
        MNC_SUBS_1
        "bne 1b"
        : "+l"(iterations)
        :
        : "cc");
}

static char *append_u64(char *dst, uint64_t value)
{
    char digits[20];
    int count = 0;
    do {
        digits[count++] = (char)('0' + (int)(value % 10u));
        value /= 10u;
    } while (value != 0u);
    while (count > 0) {
        *dst++ = digits[--count];
    }
    return dst;
}

static void measure(uint32_t iterations)
{
    char line[64] = "MNC-CALIB ";
    const uint64_t started = ticks_now();
    spin(iterations);
    const uint64_t elapsed = ticks_now() - started;
    char *end = append_u64(line + 10, iterations);
    *end++ = ' ';
    end = append_u64(end, elapsed);
    *end++ = '\n';
    *end = '\0';
    sh_write0(line);
}

int main(void)
{
    static const uint32_t iterations[] = {0u, MNC_CALIB_ITERATIONS};
    ticks_start();
    for (unsigned i = 0; i < sizeof iterations / sizeof iterations[0]; ++i) {
        measure(iterations[i]);
    }
    sh_write0("MNC-DONE\n");
    return 0;
}
