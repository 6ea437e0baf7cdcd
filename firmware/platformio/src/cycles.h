/* The DWT cycle counter (CYCCNT), where the core has one and it counts. */
#ifndef MNC_FW_CYCLES_H
#define MNC_FW_CYCLES_H

#include <stdint.h>

void cycles_start(void);
uint32_t cycles_now(void);

#endif
