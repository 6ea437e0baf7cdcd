/* Clock calibration main: time busy loops of a known instruction count, so the runner can check
 * the machine's SysTick clock (retired instructions per tick under -icount shift=0). */
#include <stdint.h>

#include "semihost.h"
#include "text.h"
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

static void measure(uint32_t iterations)
{
    char line[64] = "MNC-CALIB ";
    const uint64_t started = ticks_now();
    spin(iterations);
    const uint64_t elapsed = ticks_now() - started;
    char *end = fw_append_u64(line + 10, iterations);
    *end++ = ' ';
    end = fw_append_u64(end, elapsed);
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
