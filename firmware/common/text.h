/* Tiny number formatting for the firmware's report lines (no printf: keeps newlib's stdio out).
 * Each function writes at `dst` without a terminating NUL and returns the new end. */
#ifndef MNC_FW_TEXT_H
#define MNC_FW_TEXT_H

#include <stdint.h>

char *fw_append_text(char *dst, const char *text);
char *fw_append_u64(char *dst, uint64_t value);
char *fw_append_i32(char *dst, int32_t value);
char *fw_append_hex_byte(char *dst, uint8_t value);

/* Print `size` bytes as lines "<tag><hex of up to 32 bytes>\n" through `write` (semihosting or a UART). */
void fw_print_hex_lines(const char *tag, const uint8_t *bytes, uint32_t size, void (*write)(const char *line));

#endif
