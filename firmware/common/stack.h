/* Stack high-water mark: the reset handler paints the free stack with a pattern; the harness
 * later finds the deepest word that changed. */
#ifndef MNC_FW_STACK_H
#define MNC_FW_STACK_H

#include <stdint.h>

void stack_paint(void);

/* Bytes of stack used since stack_paint(); the whole stack when it overflowed (or nearly). */
uint32_t stack_used_bytes(void);

uint32_t stack_size_bytes(void);

#endif
