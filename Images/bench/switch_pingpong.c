/*
 * Benchmark 3: switch_to ping-pong between two tasks with 8 KB thread_unions,
 * using the 2.6 switch_to macro and a __switch_to that updates the TSS's esp0.
 */
#include "linux26.h"

#define SWITCHES 2500000

struct tss_struct { unsigned short back_link, blh; unsigned long esp0; unsigned short ss0, ss0h; };

union thread_union union_a __attribute__((aligned(THREAD_SIZE)));
union thread_union union_b __attribute__((aligned(THREAD_SIZE)));
struct task_struct task_a, task_b;
struct tss_struct init_tss;
volatile unsigned long switches;

fastcall struct task_struct *__switch_to(struct task_struct *prev, struct task_struct *next)
{
    init_tss.esp0 = next->thread.esp0;
    switches++;
    return prev;
}

static void __attribute__((noreturn, used)) task_b_main(void)
{
    struct task_struct *last;
    for (;;) {
        struct task_struct *me = current;
        switch_to(me, (&task_a), last);
        (void)last;
    }
}

unsigned long pingpong_main(void)
{
    task_a.pid = 1;
    task_b.pid = 2;
    union_a.thread_info.task = &task_a;
    union_b.thread_info.task = &task_b;
    task_a.thread.esp0 = (unsigned long)&union_a + THREAD_SIZE;
    task_b.thread.esp0 = (unsigned long)&union_b + THREAD_SIZE;
    task_b.thread.eip = (unsigned long)task_b_main;
    task_b.thread.esp = task_b.thread.esp0 - 64;
    for (int i = 0; i < SWITCHES; i++) {
        struct task_struct *me = current, *last;
        switch_to(me, (&task_b), last);
        if (last != &task_b) return 0xbad;
    }
    console_puts("pingpong switches ");
    console_hex(switches);
    console_putc('\n');
    return switches;
}
