/*
 * The current macro (include/asm-i386/current.h): thread_info is at
 * esp & ~(THREAD_SIZE - 1), and its first word is the task. Built twice:
 * current_8k.elf (THREAD_SIZE 8192) and current_4k.elf (4096).
 *
 * 1. The seeds' worked example: esp = 0x015fa878 gives thread_info 0x015fa000.
 * 2. current from many stack depths: a recursion that checks, at every
 *    level, that current names init_task; it counts the levels and mismatches.
 */
#include "linux26.h"

union thread_union init_thread_union __attribute__((section(".thread_union"), aligned(THREAD_SIZE)));
struct task_struct init_task = { .pid = 1, .comm = "init" };

unsigned long seed_thread_info;  /* thread_info for esp 0x015fa878 */
unsigned long depth_checks;      /* levels at which current was checked */
unsigned long depth_mismatches;  /* levels at which it was not init_task */
unsigned long deepest_esp;

static void __attribute__((noinline)) seeds_example(void)
{
    unsigned long saved, info;
    __asm__ volatile("movl %%esp, %0\n\t"
                     "movl $0x015fa878, %%esp\n\t"
                     "movl $-" __stringify(THREAD_SIZE) ", %1\n\t"
                     "andl %%esp, %1\n\t"
                     "movl %0, %%esp"
                     : "=&r" (saved), "=&r" (info));
    seed_thread_info = info;
}

static int __attribute__((noinline)) descend(int levels)
{
    volatile unsigned long frame[8];
    unsigned long esp;
    frame[0] = levels;
    __asm__ volatile("movl %%esp, %0" : "=r" (esp));
    deepest_esp = esp;
    depth_checks++;
    if (current != &init_task)
        depth_mismatches++;
    if (levels > 0)
        return descend(levels - 1) + (int)frame[0];
    return 0;
}

void kernel_main(void)
{
    init_thread_union.thread_info.task = &init_task;
    init_task.thread_info = &init_thread_union.thread_info;
    seeds_example();
    /* Down to a few hundred bytes above thread_info: ~48 bytes a level. */
    descend(THREAD_SIZE / 48 - 8);
    console_puts(init_task.comm);
    console_puts(": current checked at ");
    console_hex(depth_checks);
    console_puts(" depths, ");
    console_hex(depth_mismatches);
    console_puts(" mismatches\n");
}
