#include "ticks.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SCB_ICSR (*(volatile uint32_t *)0xE000ED04u)

#define SYST_CSR_ENABLE 0x1u
#define SYST_CSR_TICKINT 0x2u
#define SYST_CSR_CLKSOURCE_CORE 0x4u
#define SCB_ICSR_PENDSTSET (1u << 26)
#define SCB_ICSR_PENDSTCLR (1u << 25)
/* The full 24 bits by default; tests shrink the period to exercise the wrap-around path. */
#ifndef MNC_SYST_PERIOD_BITS
#define MNC_SYST_PERIOD_BITS 24
#endif
#define SYST_RELOAD ((1u << MNC_SYST_PERIOD_BITS) - 1u)

/* Number of SysTick wrap-arounds: the 24-bit counter wraps every 2^24 ticks (~0.5e9 instructions). */
static volatile uint32_t systick_wraps;

void SysTick_Handler(void)
{
    systick_wraps++;
}

void ticks_start(void)
{
    SYST_CSR = 0;
    SYST_RVR = SYST_RELOAD;
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_ENABLE | SYST_CSR_TICKINT | SYST_CSR_CLKSOURCE_CORE;
    /* The counter starts at 0 and loads the reload value on its first tick: wait for that,
     * so that every later reading lies on one monotonic scale. */
    while (SYST_CVR == 0u) {
    }
    SCB_ICSR = SCB_ICSR_PENDSTCLR;
    systick_wraps = 0;
}

uint64_t ticks_now(void)
{
    for (;;) {
        const uint32_t wraps = systick_wraps;
        uint32_t value = SYST_CVR;
        /* A wrap whose interrupt is still pending: count it, and re-read the value so it
         * certainly belongs to the new period. */
        const uint32_t pending = (SCB_ICSR & SCB_ICSR_PENDSTSET) != 0u;
        if (pending) {
            value = SYST_CVR;
        }
        if (wraps == systick_wraps) {
            const uint64_t periods = (uint64_t)wraps + pending;
            return (periods << MNC_SYST_PERIOD_BITS) + (SYST_RELOAD - value);
        }
    }
}
