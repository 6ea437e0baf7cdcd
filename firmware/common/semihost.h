/* Arm semihosting calls (BKPT 0xAB on M-profile), served by QEMU's -semihosting. */
#ifndef MNC_FW_SEMIHOST_H
#define MNC_FW_SEMIHOST_H

/* Print a NUL-terminated string on the host's stdout (SYS_WRITE0). */
void sh_write0(const char *text);

/* Stop the emulator: status 0 exits QEMU with 0, anything else with 1 (SYS_EXIT). */
void sh_exit(int status) __attribute__((noreturn));

#endif
