/* Transmit-only UART for the report lines, configured from board.h (generated from the board's
 * TOML file): clocks on, TX pin to its alternate function, 8N1 at MNC_UART_BAUD. */
#ifndef MNC_FW_UART_H
#define MNC_FW_UART_H

void uart_init(void);

/* Write a NUL-terminated string, waiting for each byte to be accepted. */
void uart_write(const char *text);

#endif
