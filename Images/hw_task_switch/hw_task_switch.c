/*
 * The old hardware task switch beside 2.6's software one (the seeds'
 * "Process Switch"): Linux 2.0 gave every task its own TSS, with a
 * descriptor in the GDT, and switch_to was a far jmp to the next task's TSS
 * selector (`ljmp *(&next->tss.tr - 4)`: the offset is ignored). The CPU
 * then saves the whole hardware context — eax..edi, esp, eip, eflags, the
 * six segment registers — into the current TSS, marks the new TSS busy,
 * and loads everything from it (cr3, ldt, registers).
 *
 * Round 1: A -> B -> C -> A with ljmp; B and C start where their TSS's eip
 * says; back in A the console prints what the CPU saved in B's and C's TSS.
 * Round 2: A -> D -> E -> A with 2.6's switch_to macro (thread.esp/eip,
 * __switch_to loading init_tss.esp0), which saves esp, eip, ebp and eflags
 * only. Both rounds count instructions (rdtsc: kstep's virtual time, one tick
 * per instruction here). Every task has a 2.6 thread_union whose
 * thread_info names it, so `current` is right throughout (check-current).
 */
#include "kernel26.h"

#define NR_TASKS 5
#define FIRST_TSS_ENTRY 16

/* include/asm-i386/processor.h: the hardware TSS (104 bytes, no I/O bitmap). */
struct hw_tss {
    unsigned short back_link, __blh;
    unsigned long esp0;
    unsigned short ss0, __ss0h;
    unsigned long esp1;
    unsigned short ss1, __ss1h;
    unsigned long esp2;
    unsigned short ss2, __ss2h;
    unsigned long cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
    unsigned short es, __esh, cs, __csh, ss, __ssh, ds, __dsh, fs, __fsh, gs, __gsh, ldt, __ldth;
    unsigned short trace, io_bitmap_base;
    unsigned long tr;                   /* Linux 2.0 kept the task's TSS selector here: ljmp reads it */
} __attribute__((packed, aligned(16)));
KSTATIC_ASSERT(offsetof(struct hw_tss, eip) == 32, "tss.eip at 32");
KSTATIC_ASSERT(offsetof(struct hw_tss, tr) == 104, "tr after the 104-byte TSS");

#define DESC(base, limit, access, flags) \
    { (((base) & 0xffff) << 16) | ((limit) & 0xffff), \
      ((base) & 0xff000000) | ((flags) << 20) | ((limit) & 0xf0000) | ((access) << 8) | (((base) >> 16) & 0xff) }
struct desc_struct cpu_gdt_table[GDT_ENTRIES] __attribute__((aligned(8))) = {
    [12] = DESC(0, 0xfffff, 0x9a, 0xc),     /* __KERNEL_CS */
    [13] = DESC(0, 0xfffff, 0x92, 0xc),     /* __KERNEL_DS */
};
struct { unsigned short limit; unsigned long base; } __attribute__((packed))
    cpu_gdt_descr = { GDT_ENTRIES * 8 - 1, (unsigned long)cpu_gdt_table };

union thread_union a_thread_union __attribute__((section(".thread_union.a"), aligned(THREAD_SIZE)));
union thread_union b_thread_union __attribute__((section(".thread_union.b"), aligned(THREAD_SIZE)));
union thread_union c_thread_union __attribute__((section(".thread_union.c"), aligned(THREAD_SIZE)));
union thread_union d_thread_union __attribute__((section(".thread_union.d"), aligned(THREAD_SIZE)));
union thread_union e_thread_union __attribute__((section(".thread_union.e"), aligned(THREAD_SIZE)));
task_t a_task = { .pid = 1, .comm = "A" }, b_task = { .pid = 2, .comm = "B" }, c_task = { .pid = 3, .comm = "C" },
       d_task = { .pid = 4, .comm = "D" }, e_task = { .pid = 5, .comm = "E" };
struct hw_tss a_tss, b_tss, c_tss;      /* round 1: one TSS per task */
struct hw_tss init_tss;                 /* round 2: 2.6's one TSS per CPU (only esp0 matters) */

/* kernel26's printk needs these names; this image has no scheduler. */
union thread_union *const thread_union_pool[] = { 0 };
task_t *const task_pool[] = { 0 };
const int task_pool_size = 0;

/* What the run leaves for the expectations. */
unsigned long hw_cycles, sw_cycles, hw_switches, sw_switches;
unsigned long b_saved_eip, b_saved_esp, b_saved_eflags, b_saved_eax, c_saved_eip;
extern char b_after_ljmp[];
task_t *b_current, *c_current;

static inline unsigned long long rdtsc(void)
{
    unsigned long long value;
    __asm__ volatile("rdtsc" : "=A" (value));
    return value;
}

static void set_tss_desc(int n, struct hw_tss *tss)
{
    struct desc_struct d = DESC((unsigned long)tss, 0x67, 0x89, 0x0);   /* available 32-bit TSS */
    cpu_gdt_table[FIRST_TSS_ENTRY + n] = d;
    tss->tr = (FIRST_TSS_ENTRY + n) << 3;
}

/* Linux 2.0's switch_to: a far jmp through the 6 bytes ending in next's TSS selector. */
#define hw_switch_to(next_tss) \
    __asm__ volatile("ljmp *%0" : : "m" (*(((char *)&(next_tss)->tr) - 4)) : "memory")

static void __attribute__((noreturn)) task_b(void)
{
    b_current = current;                /* no printk here: the rounds count instructions */
    hw_switches++;
    __asm__ volatile("movl $0xb0b0b0b0, %%eax\n\t"
                     "ljmp *%0\n"
                     ".globl b_after_ljmp\n"
                     "b_after_ljmp:" : : "m" (*(((char *)&c_tss.tr) - 4)) : "eax", "memory");
    for (;;) ;
}

static void __attribute__((noreturn)) task_c(void)
{
    c_current = current;
    hw_switches++;
    hw_switch_to(&a_tss);
    for (;;) ;
}

/* 2.6's side: __switch_to loads esp0 into the per-CPU TSS. */
fastcall task_t *__switch_to(task_t *prev_p, task_t *next_p)
{
    init_tss.esp0 = next_p->thread.esp0;
    return prev_p;
}

static void __attribute__((noreturn, used)) task_de(void)
{
    for (;;) {
        task_t *prev = current, *next = prev == &d_task ? &e_task : &a_task, *last;
        sw_switches++;
        switch_to(prev, next, last);
        (void)last;
    }
}

static void init_hw_task(struct hw_tss *tss, union thread_union *stack, void (*fn)(void))
{
    tss->eip = (unsigned long)fn;
    tss->esp0 = (unsigned long)stack + THREAD_SIZE;
    tss->esp = tss->esp0 - 16;          /* not the very top: that esp would belong to the next union */
    tss->cs = __KERNEL_CS;
    tss->ss = tss->ds = tss->es = tss->ss0 = __KERNEL_DS;
    tss->eflags = 0x2;
    tss->io_bitmap_base = 0x8000;       /* no I/O bitmap */
    __asm__ volatile("movl %%cr3, %0" : "=r" (tss->cr3));
}

void start_kernel(void)
{
    task_t *tasks[NR_TASKS] = { &a_task, &b_task, &c_task, &d_task, &e_task };
    union thread_union *unions[NR_TASKS] = { &a_thread_union, &b_thread_union, &c_thread_union, &d_thread_union, &e_thread_union };
    for (int i = 0; i < NR_TASKS; i++) {
        unions[i]->thread_info.task = tasks[i];
        tasks[i]->thread_info = &unions[i]->thread_info;
        tasks[i]->thread.esp0 = (unsigned long)unions[i] + THREAD_SIZE;
    }
    set_tss_desc(0, &a_tss);
    set_tss_desc(1, &b_tss);
    set_tss_desc(2, &c_tss);
    init_hw_task(&b_tss, &b_thread_union, task_b);
    init_hw_task(&c_tss, &c_thread_union, task_c);
    __asm__ volatile("ltr %w0" : : "r" (a_tss.tr));
    printk("round 1, Linux 2.0: one TSS per task (A %02lx, B %02lx, C %02lx in the GDT), switch_to = ljmp\n",
           a_tss.tr, b_tss.tr, c_tss.tr);

    unsigned long long start = rdtsc();
    hw_switches++;
    hw_switch_to(&b_tss);
    hw_cycles = rdtsc() - start;
    b_saved_eip = b_tss.eip;
    b_saved_esp = b_tss.esp;
    b_saved_eflags = b_tss.eflags;
    b_saved_eax = b_tss.eax;
    c_saved_eip = c_tss.eip;
    printk("A: back after %lu switches; B and C ran with current %s and %s\n", hw_switches, b_current->comm, c_current->comm);
    printk("   the CPU saved B's context in b_tss when B jumped to C:\n");
    printk("   eip %08lx (b_after_ljmp), esp %08lx, eflags %08lx, eax %08lx, cs %02x ss %02x ds %02x es %02x fs %02x gs %02x\n",
           b_tss.eip, b_tss.esp, b_tss.eflags, b_tss.eax, b_tss.cs, b_tss.ss, b_tss.ds, b_tss.es, b_tss.fs, b_tss.gs);

    /* Round 2: 2.6's switch_to, one TSS for the CPU. */
    d_task.thread.eip = e_task.thread.eip = (unsigned long)task_de;
    d_task.thread.esp = d_task.thread.esp0 - 64;
    e_task.thread.esp = e_task.thread.esp0 - 64;
    printk("round 2, Linux 2.6: switch_to saves esp and eip in task_struct.thread, ebp and eflags on the stack\n");
    start = rdtsc();
    task_t *prev = current, *last;
    sw_switches++;
    switch_to(prev, (&d_task), last);
    sw_cycles = rdtsc() - start;
    printk("A: back after %lu switches, last = %s; d_task.thread: eip %08lx, esp %08lx\n",
           sw_switches, last->comm, d_task.thread.eip, d_task.thread.esp);
    printk("instructions for A -> B -> C -> A: %lu with ljmp, %lu with switch_to\n", hw_cycles, sw_cycles);
}
