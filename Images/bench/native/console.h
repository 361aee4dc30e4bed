/*
 * Forced in front of a benchmark's C file (gcc -include) for its native
 * Linux user-mode build (Scripts/bench): the same workload code, with the
 * console that writes port 0xE9 (a #GP in ring 3) replaced by one that
 * appends to a buffer, which native_finish writes to stdout at the end.
 *
 * linux26.h is included here once with its console functions renamed out
 * of the way; the workload's own #include of it is then a no-op.
 */
#define console_putc port_console_putc
#define console_puts port_console_puts
#define console_hex port_console_hex
#include "linux26.h"
#undef console_putc
#undef console_puts
#undef console_hex

extern char native_console[];
extern unsigned int native_console_length;

static inline void console_putc(char c)
{
    if (native_console_length < 4096)
        native_console[native_console_length++] = c;
}

static inline void console_puts(const char *s)
{
    while (*s) console_putc(*s++);
}

static inline void console_hex(unsigned long value)
{
    for (int shift = 28; shift >= 0; shift -= 4)
        console_putc("0123456789abcdef"[(value >> shift) & 15]);
}
