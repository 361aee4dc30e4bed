/*
 * printk and sprintf (kernel/printk.c, lib/vsprintf.c) with the conversions
 * the images use: %s %c %d %i %u %x %lx %ld %p, a field width, the 0 flag and (for %s) the - flag.
 * A console line's "<N>" log level is not printed, as the console drivers
 * leave it out; the text goes to port 0xE9 with one rep outsb.
 */
#include "kernel26.h"
#include <stdarg.h>

void *memset(void *s, int c, unsigned long n)
{
    void *d = s;
    __asm__ volatile("rep stosb" : "+D" (d), "+c" (n) : "a" (c) : "memory");
    return s;
}

void *memcpy(void *d, const void *s, unsigned long n)
{
    void *to = d;
    __asm__ volatile("rep movsb" : "+D" (to), "+S" (s), "+c" (n) : : "memory");
    return d;
}

static char kmalloc_arena[4096] __attribute__((aligned(8)));
static unsigned long kmalloc_used;

void *kmalloc(unsigned long size, int flags)
{
    (void)flags;
    size = (size + 7) & ~7UL;
    if (size > sizeof(kmalloc_arena) - kmalloc_used) return 0;
    void *p = kmalloc_arena + kmalloc_used;
    kmalloc_used += size;
    return p;
}

void kfree(const void *p) { (void)p; }

static char *number(char *out, unsigned long value, int base, int width, char pad, int negative)
{
    char digits[12];
    int n = 0;
    do {
        digits[n++] = "0123456789abcdef"[value % base];
        value /= base;
    } while (value);
    if (negative) digits[n++] = '-';
    while (width-- > n) *out++ = pad;
    while (n) *out++ = digits[--n];
    return out;
}

static int vsprintf(char *buf, const char *fmt, va_list args)
{
    char *out = buf;
    for (; *fmt; fmt++) {
        if (*fmt != '%') { *out++ = *fmt; continue; }
        fmt++;
        char pad = ' ';
        int width = 0, left = 0;
        if (*fmt == '-') { left = 1; fmt++; }
        if (*fmt == '0') { pad = '0'; fmt++; }
        while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
        if (*fmt == 'l') fmt++;
        switch (*fmt) {
        case 's': {
            const char *s = va_arg(args, const char *);
            int length = 0;
            while (s[length]) length++;
            if (!left) while (width-- > length) *out++ = ' ';
            while (*s) *out++ = *s++;
            if (left) while (width-- > length) *out++ = ' ';
            break;
        }
        case 'c': *out++ = (char)va_arg(args, int); break;
        case 'd': case 'i': {
            long value = va_arg(args, long);
            out = number(out, value < 0 ? -(unsigned long)value : (unsigned long)value, 10, width, pad, value < 0);
            break;
        }
        case 'u': out = number(out, va_arg(args, unsigned long), 10, width, pad, 0); break;
        case 'x': out = number(out, va_arg(args, unsigned long), 16, width, pad, 0); break;
        case 'p': out = number(out, va_arg(args, unsigned long), 16, 8, '0', 0); break;
        default: *out++ = *fmt; break;
        }
    }
    *out = 0;
    return out - buf;
}

int sprintf(char *buf, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    int n = vsprintf(buf, fmt, args);
    va_end(args);
    return n;
}

static char printk_buf[1024];

int printk(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    int n = vsprintf(printk_buf, fmt, args);
    va_end(args);
    const char *text = printk_buf;
    unsigned long length = n;
    if (length >= 3 && text[0] == '<' && text[1] >= '0' && text[1] <= '7' && text[2] == '>') {
        text += 3;
        length -= 3;
    }
    __asm__ volatile("rep outsb" : "+S" (text), "+c" (length) : "d" (0xe9) : "memory");
    return n;
}
