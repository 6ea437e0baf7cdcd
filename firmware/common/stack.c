#include "stack.h"

#define STACK_PAINT 0x5AC3A55Cu
#define PAINT_MARGIN_WORDS 16u   /* leave the caller's frame alone */

extern uint32_t __stack_bottom__[];
extern uint32_t __stack_top__[];

void stack_paint(void)
{
    uint32_t *sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    for (uint32_t *word = __stack_bottom__; word < sp - PAINT_MARGIN_WORDS; ++word) {
        *word = STACK_PAINT;
    }
}

uint32_t stack_used_bytes(void)
{
    const uint32_t *word = __stack_bottom__;
    while (word < __stack_top__ && *word == STACK_PAINT) {
        ++word;
    }
    return (uint32_t)((uintptr_t)__stack_top__ - (uintptr_t)word);
}

uint32_t stack_size_bytes(void)
{
    return (uint32_t)((uintptr_t)__stack_top__ - (uintptr_t)__stack_bottom__);
}
