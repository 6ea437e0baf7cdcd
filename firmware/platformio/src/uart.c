#include "uart.h"

#include <stdint.h>

#include "board.h"

#define REG32(address) (*(volatile uint32_t *)(uintptr_t)(address))

#if defined(MNC_UART_STM32_SR) || defined(MNC_UART_STM32_ISR)
/* STM32 GPIO (same layout on F4, F7, H7, L4, U5): MODER 2 bits per pin, AFRL/AFRH 4 bits per pin. */
#define GPIO_MODER(port) REG32((port) + 0x00u)
#define GPIO_AFR(port, pin) REG32((port) + 0x20u + 4u * ((pin) / 8u))
#define GPIO_MODE_AF 0x2u

/* USART control: UE (enable), TE (transmitter enable). BRR = clock / baud with 16x oversampling. */
#if defined(MNC_UART_STM32_SR)        /* F4: SR, DR, BRR, CR1 */
#define USART_STATUS REG32(MNC_UART_BASE + 0x00u)
#define USART_TDR REG32(MNC_UART_BASE + 0x04u)
#define USART_BRR REG32(MNC_UART_BASE + 0x08u)
#define USART_CR1 REG32(MNC_UART_BASE + 0x0Cu)
#define USART_CR1_UE (1u << 13)
#else                                  /* F7, H7, L4, U5: CR1, BRR, ISR, TDR */
#define USART_CR1 REG32(MNC_UART_BASE + 0x00u)
#define USART_BRR REG32(MNC_UART_BASE + 0x0Cu)
#define USART_STATUS REG32(MNC_UART_BASE + 0x1Cu)
#define USART_TDR REG32(MNC_UART_BASE + 0x28u)
#define USART_CR1_UE (1u << 0)
#endif
#define USART_CR1_TE (1u << 3)
#define USART_STATUS_TXE (1u << 7)

static void pin_to_alternate_function(uint32_t port, uint32_t pin, uint32_t af)
{
    GPIO_AFR(port, pin) = (GPIO_AFR(port, pin) & ~(0xFu << (4u * (pin % 8u)))) | (af << (4u * (pin % 8u)));
    GPIO_MODER(port) = (GPIO_MODER(port) & ~(0x3u << (2u * pin))) | (GPIO_MODE_AF << (2u * pin));
}

void uart_init(void)
{
    MNC_UART_ENABLE_CLOCKS();
    pin_to_alternate_function(MNC_UART_TX_PORT, MNC_UART_TX_PIN, MNC_UART_TX_AF);
    USART_BRR = (MNC_UART_CLOCK_HZ + MNC_UART_BAUD / 2u) / MNC_UART_BAUD;
    USART_CR1 = USART_CR1_UE | USART_CR1_TE;
}

static void put_byte(char c)
{
    while ((USART_STATUS & USART_STATUS_TXE) == 0u) {
    }
    USART_TDR = (uint32_t)(uint8_t)c;
}

#elif defined(MNC_UART_NRF)
/* nRF52 UART (without EasyDMA): ENABLE = 4, PSEL.TXD = pin, BAUDRATE = register code. */
#define UART_TASKS_STARTTX REG32(MNC_UART_BASE + 0x008u)
#define UART_EVENTS_TXDRDY REG32(MNC_UART_BASE + 0x11Cu)
#define UART_ENABLE REG32(MNC_UART_BASE + 0x500u)
#define UART_PSELTXD REG32(MNC_UART_BASE + 0x50Cu)
#define UART_TXD REG32(MNC_UART_BASE + 0x51Cu)
#define UART_BAUDRATE REG32(MNC_UART_BASE + 0x524u)
#define UART_ENABLE_ENABLED 4u
#define GPIO_PIN_CNF(pin) REG32(MNC_UART_TX_PORT + 0x700u + 4u * (pin))
#define GPIO_OUTSET REG32(MNC_UART_TX_PORT + 0x508u)
#define GPIO_PIN_CNF_OUTPUT 1u

void uart_init(void)
{
    GPIO_OUTSET = 1u << MNC_UART_TX_PIN;   /* idle high before the UART takes the pin */
    GPIO_PIN_CNF(MNC_UART_TX_PIN) = GPIO_PIN_CNF_OUTPUT;
    UART_PSELTXD = MNC_UART_TX_PIN;
    UART_BAUDRATE = MNC_UART_BAUD_CODE;
    UART_ENABLE = UART_ENABLE_ENABLED;
    UART_TASKS_STARTTX = 1u;
}

static void put_byte(char c)
{
    UART_EVENTS_TXDRDY = 0u;
    UART_TXD = (uint32_t)(uint8_t)c;
    while (UART_EVENTS_TXDRDY == 0u) {
    }
}

#else
#error "board.h names no UART driver"
#endif

void uart_write(const char *text)
{
    while (*text != '\0') {
        if (*text == '\n') {
            put_byte('\r');   /* serial terminals expect CR LF */
        }
        put_byte(*text++);
    }
}
