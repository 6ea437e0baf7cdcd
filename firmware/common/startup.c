/* Vector table and reset handler shared by every emulated machine.
 * The linker script places .vectors at the address the core boots from. */
#include <stdint.h>

#include "semihost.h"
#include "stack.h"

extern uint32_t __data_load__[];
extern uint32_t __data_start__[];
extern uint32_t __data_end__[];
extern uint32_t __bss_start__[];
extern uint32_t __bss_end__[];
extern uint32_t __stack_top__[];

int main(void);
void Reset_Handler(void);
void SysTick_Handler(void);

#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)
#define CPACR_CP10_CP11_FULL (0xFu << 20)

/* How a run ends. The emulator harnesses stop QEMU over semihosting; board firmware (built with
 * MNC_FW_EXIT_HOOKS) defines both to report on its UART instead, since a semihosting call without
 * a debugger attached is itself a fault. */
#if defined(MNC_FW_EXIT_HOOKS)
void fw_exit(int status) __attribute__((noreturn));
void fw_fault(void) __attribute__((noreturn));
#else
static void fw_exit(int status)
{
    sh_exit(status);
}

static void fw_fault(void)
{
    sh_write0("MNC-FAULT\n");
    sh_exit(1);
}
#endif

/* Any fault ends the run with a failing exit status instead of hanging until the timeout. */
static void Fault_Handler(void)
{
    fw_fault();
}

/* FPU and Helium (MVE) share the CP10/CP11 enable; both trap until it is set. */
static void enable_fpu(void)
{
#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
    SCB_CPACR |= CPACR_CP10_CP11_FULL;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
}

static void copy_data(void)
{
    const uint32_t *src = __data_load__;
    for (uint32_t *dst = __data_start__; dst < __data_end__; ++dst) {
        *dst = *src++;
    }
}

static void zero_bss(void)
{
    for (uint32_t *dst = __bss_start__; dst < __bss_end__; ++dst) {
        *dst = 0u;
    }
}

void Reset_Handler(void)
{
    enable_fpu();
    copy_data();
    zero_bss();
    stack_paint();
    fw_exit(main());
}

typedef void (*vector_t)(void);

__attribute__((section(".vectors"), used)) const vector_t mnc_vectors[16] = {
    (vector_t)(uintptr_t)__stack_top__,
    Reset_Handler,
    Fault_Handler, /* NMI */
    Fault_Handler, /* HardFault */
    Fault_Handler, /* MemManage */
    Fault_Handler, /* BusFault */
    Fault_Handler, /* UsageFault */
    Fault_Handler, /* SecureFault (ARMv8-M) */
    0,
    0,
    0,
    Fault_Handler, /* SVCall */
    Fault_Handler, /* DebugMonitor */
    0,
    Fault_Handler, /* PendSV */
    SysTick_Handler,
};
