/* A 64-bit tick counter built on SysTick, clocked by the core clock.
 * Under QEMU -icount shift=0 one retired instruction advances virtual time by 1 ns, so
 * ticks * (1e9 / core clock) is the number of retired instructions, identical run to run. */
#ifndef MNC_FW_TICKS_H
#define MNC_FW_TICKS_H

#include <stdint.h>

void ticks_start(void);
uint64_t ticks_now(void);

#endif
