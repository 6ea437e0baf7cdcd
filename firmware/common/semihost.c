#include "semihost.h"

#include <stdint.h>

#define SYS_WRITE0 0x04u
#define SYS_EXIT 0x18u
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u
#define ADP_STOPPED_RUNTIME_ERROR_UNKNOWN 0x20023u

static uintptr_t semihost_call(uint32_t op, uintptr_t arg)
{
    register uintptr_t r0 __asm__("r0") = op;
    register uintptr_t r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void sh_write0(const char *text)
{
    (void)semihost_call(SYS_WRITE0, (uintptr_t)text);
}

void sh_exit(int status)
{
    /* On AArch32 SYS_EXIT takes the reason code itself in r1 (no parameter block). */
    const uintptr_t reason = status == 0 ? ADP_STOPPED_APPLICATION_EXIT : ADP_STOPPED_RUNTIME_ERROR_UNKNOWN;
    (void)semihost_call(SYS_EXIT, reason);
    for (;;) {
    }
}
