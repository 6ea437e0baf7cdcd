/* Board firmware main: one inference on the baked-in input, timed with the DWT cycle counter (or
 * SysTick, on the core clock, where the DWT reads 0, as under QEMU), reported on the UART:
 *
 *     MNC-BOARD <board>           first line, so a monitor knows what it is listening to
 *     MNC-OUT <hex bytes>         output bytes, in order, 32 per line
 *     MNC-CYCLES <n> <dwt|systick>  core clock cycles of one mnc_run(), and which counter measured them
 *     MNC-STACK <bytes>           stack high-water mark
 *     MNC-DONE
 *
 * then stops: in QEMU through semihosting (MNC_SEMIHOSTING_EXIT), on a board by idling. */
#include <stdint.h>
#include <string.h>

#include "board.h"
#include "cycles.h"
#include "model.h"
#include "semihost.h"
#include "stack.h"
#include "text.h"
#include "ticks.h"
#include "uart.h"

extern const int8_t mnc_fw_input[MNC_INPUT_SIZE];


static void print_number(const char *tag, uint64_t value, const char *suffix)
{
    char line[80];
    char *end = fw_append_text(line, tag);
    end = fw_append_u64(end, value);
    end = fw_append_text(end, suffix);
    *end = '\0';
    uart_write(line);
}

int main(void)
{
    uart_init();
    uart_write("MNC-BOARD " MNC_BOARD_NAME "\n");
    memcpy(mnc_input(), mnc_fw_input, MNC_INPUT_SIZE);
    ticks_start();
    cycles_start();
    const uint64_t ticks_started = ticks_now();
    const uint32_t cycles_started = cycles_now();
    mnc_run();
    const uint32_t cycles = cycles_now() - cycles_started;
    const uint64_t ticks = ticks_now() - ticks_started;
    fw_print_hex_lines("MNC-OUT ", (const uint8_t *)mnc_output(), MNC_OUTPUT_SIZE, uart_write);
    if (cycles != 0u) {
        print_number("MNC-CYCLES ", cycles, " dwt\n");
    } else {
        print_number("MNC-CYCLES ", ticks, " systick\n");
    }
    print_number("MNC-STACK ", stack_used_bytes(), "\n");
    uart_write("MNC-DONE\n");
    return 0;
}

void fw_exit(int status)
{
#if defined(MNC_SEMIHOSTING_EXIT)
    sh_exit(status);
#else
    (void)status;
    for (;;) {
        __asm__ volatile("wfi");
    }
#endif
}

void fw_fault(void)
{
    uart_write("MNC-FAULT\n");
    fw_exit(1);
}
