#include "text.h"

char *fw_append_text(char *dst, const char *text)
{
    while (*text != '\0') {
        *dst++ = *text++;
    }
    return dst;
}

char *fw_append_u64(char *dst, uint64_t value)
{
    char digits[20];
    int count = 0;
    do {
        digits[count++] = (char)('0' + (int)(value % 10u));
        value /= 10u;
    } while (value != 0u);
    while (count > 0) {
        *dst++ = digits[--count];
    }
    return dst;
}

char *fw_append_i32(char *dst, int32_t value)
{
    if (value < 0) {
        *dst++ = '-';
    }
    return fw_append_u64(dst, value < 0 ? 0u - (uint32_t)value : (uint32_t)value);
}

char *fw_append_hex_byte(char *dst, uint8_t value)
{
    static const char hex[] = "0123456789abcdef";
    *dst++ = hex[value >> 4];
    *dst++ = hex[value & 0xFu];
    return dst;
}

#define HEX_LINE_BYTES 32u

void fw_print_hex_lines(const char *tag, const uint8_t *bytes, uint32_t size, void (*write)(const char *line))
{
    char line[24 + 2 * HEX_LINE_BYTES + 2];
    for (uint32_t start = 0; start < size; start += HEX_LINE_BYTES) {
        char *end = fw_append_text(line, tag);
        for (uint32_t i = start; i < start + HEX_LINE_BYTES && i < size; ++i) {
            end = fw_append_hex_byte(end, bytes[i]);
        }
        end = fw_append_text(end, "\n");
        *end = '\0';
        write(line);
    }
}
