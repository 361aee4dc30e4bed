/*
 * A kernel stack overflow: a recursion runs past the bottom of
 * init_thread_union, through its thread_info, into the memory below. The
 * frames' locals overwrite thread_info.task; afterwards `current` (esp masked
 * to the union) no longer names init_task. The expectation records what it
 * returns instead.
 */
#include "linux26.h"

union thread_union below_thread_union __attribute__((section(".thread_union.below"), aligned(THREAD_SIZE)));
union thread_union init_thread_union __attribute__((section(".thread_union"), aligned(THREAD_SIZE)));
struct task_struct init_task = { .pid = 1, .comm = "init" };

unsigned long levels;
unsigned long current_before, current_after;

static void __attribute__((noinline)) dive(void)
{
    volatile unsigned long pad[32];
    unsigned long esp;
    for (int i = 0; i < 32; i++)
        pad[i] = 0x5a5a5a5a;
    levels++;
    __asm__ volatile("movl %%esp, %0" : "=r" (esp));
    /* Go on until the stack pointer is 128 bytes below the union. */
    if (esp > (unsigned long)&init_thread_union - 128)
        dive();
    (void)pad[levels & 31];
}

void kernel_main(void)
{
    init_thread_union.thread_info.task = &init_task;
    current_before = (unsigned long)current;
    dive();
    current_after = (unsigned long)current;
    console_puts("current after the overflow: ");
    console_hex(current_after);
    console_putc('\n');
}
