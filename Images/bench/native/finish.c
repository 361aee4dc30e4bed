/*
 * The end of a native benchmark run (Scripts/bench): writes what the
 * workload put on its console, then "eax=XXXXXXXX" with the value the
 * kstep image leaves in %eax, and exits with status 0 through int $0x80.
 */
char native_console[4096];
unsigned int native_console_length;

static void write_out(const char *text, unsigned int length)
{
    long result;
    __asm__ volatile("int $0x80" : "=a" (result) : "0" (4), "b" (1), "c" (text), "d" (length) : "memory");
    (void)result;
}

void __attribute__((noreturn, regparm(1))) native_finish(unsigned int eax)
{
    char line[13] = "eax=00000000\n";
    for (int i = 0; i < 8; i++)
        line[4 + i] = "0123456789abcdef"[(eax >> (28 - 4 * i)) & 15];
    write_out(native_console, native_console_length);
    write_out(line, sizeof line);
    for (;;)
        __asm__ volatile("int $0x80" : : "a" (1), "b" (0));
}
