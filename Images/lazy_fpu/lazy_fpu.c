/*
 * Lazy FPU switching as Linux 2.6.11 i386 does it (include/asm-i386/i387.h,
 * arch/i386/kernel/i387.c, traps.c, process.c), with two tasks that each
 * keep live state on the x87 stack across a switch:
 *
 *   A (the boot task) sums the Leibniz series for pi/4 under round toward
 *     zero, the partial sum, denominator and sign in ST(0)-ST(2); halfway it
 *     calls switch_to(A, B). __switch_to's __unlazy_fpu(A) saves A's FPU
 *     (fxsave, or fnsave when !cpu_has_fxsr), clears TS_USEDFPU in A's
 *     thread_info->status and sets CR0.TS (stts).
 *   B (a kernel thread, first run through ret_from_fork) sums e = sum 1/k!
 *     under round up with 53-bit precision. Its first x87 instruction takes
 *     #NM; math_state_restore clears TS, gives B a fresh FPU (init_fpu: B
 *     has never used it) and sets TS_USEDFPU. Halfway B switches back to A.
 *   A's next x87 instruction takes #NM: math_state_restore brings A's stack
 *     and control word back and A finishes; B does the same; then A sums
 *     both series again without a switch in the middle and compares.
 *
 * The results come out right only because the FPU state is saved and
 * restored. Built with -DNO_LAZY_FPU, __unlazy_fpu saves nothing and never
 * sets TS, so B computes on top of A's stack under A's control word and
 * both results differ from the uninterrupted sums (the expectations fail).
 *
 * cpu_has_fxsr is boot_cpu_data's CPUID bit in Linux; here the build fixes
 * it (lazy_fpu.elf: fxsave/fxrstor, lazy_fpu_fnsave.elf: fnsave/frstor), so
 * both paths run whatever kstep's CPUID reports.
 */
#include "linux26.h"

#ifndef CPU_HAS_FXSR
#define CPU_HAS_FXSR 1
#endif
#define cpu_has_fxsr CPU_HAS_FXSR
#define cpu_has_xmm 0                   /* a P6 without SSE: MXCSR stays 0 */

#define TERMS_A 200                     /* Leibniz terms, half before the switch */
#define TERMS_B 24                      /* terms of e, half before the switch */
#define A_CONTROL 0x0f7f                /* round toward zero, 64-bit precision */
#define B_CONTROL 0x0a7f                /* round up, 53-bit precision */

/* include/asm-i386/processor.h: the hardware part of the TSS. */
struct tss_struct {
    unsigned short back_link, __blh;
    unsigned long esp0;
    unsigned short ss0, __ss0h;
    unsigned long esp1;
    unsigned short ss1, __ss1h;
    unsigned long esp2;
    unsigned short ss2, __ss2h;
    unsigned long __cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
    unsigned short es, __esh, cs, __csh, ss, __ssh, ds, __dsh, fs, __fsh, gs, __gsh, ldt, __ldth;
    unsigned short trace, io_bitmap_base;
} __attribute__((packed, aligned(16)));

#define DESC(base, limit, access, flags) \
    { (((base) & 0xffff) << 16) | ((limit) & 0xffff), \
      ((base) & 0xff000000) | ((flags) << 20) | ((limit) & 0xf0000) | ((access) << 8) | (((base) >> 16) & 0xff) }
struct desc_struct cpu_gdt_table[GDT_ENTRIES] __attribute__((aligned(8))) = {
    [12] = DESC(0, 0xfffff, 0x9a, 0xc),  /* __KERNEL_CS */
    [13] = DESC(0, 0xfffff, 0x92, 0xc),  /* __KERNEL_DS */
    [14] = DESC(0, 0xfffff, 0xfa, 0xc),  /* __USER_CS */
    [15] = DESC(0, 0xfffff, 0xf2, 0xc),  /* __USER_DS */
};
struct desc_struct idt_table[256] __attribute__((aligned(8)));
struct { unsigned short limit; unsigned long base; } __attribute__((packed))
    cpu_gdt_descr = { GDT_ENTRIES * 8 - 1, (unsigned long)cpu_gdt_table },
    idt_descr = { 256 * 8 - 1, (unsigned long)idt_table };
struct tss_struct init_tss;

/* A's union is the seeds' example, at 0x015fa000; B's follows it. */
union thread_union a_thread_union __attribute__((section(".thread_union.a"), aligned(THREAD_SIZE)));
union thread_union b_thread_union __attribute__((section(".thread_union.b"), aligned(THREAD_SIZE)));
struct task_struct a_task = { .pid = 1, .comm = "A" };
struct task_struct b_task = { .pid = 2, .comm = "B" };

/* What the run leaves for the expectations. */
unsigned long nm_faults, init_fpus, switches, saves, matches;
double a_result, b_result, a_reference, b_reference;

extern char ret_from_fork[], kernel_thread_helper[], device_not_available[];

static void print_task(const char *text, struct task_struct *task)
{
    console_puts(text);
    console_puts(task->comm);
}

static void print_double(double value)
{
    union { double d; unsigned long long u; } v = { value };
    console_hex((unsigned long)(v.u >> 32));
    console_hex((unsigned long)v.u);
}

void *memset(void *to, int c, unsigned long n)
{
    char *d = to;
    while (n--) *d++ = (char)c;
    return to;
}

/* include/asm-i386/i387.h */
static inline void __save_init_fpu(struct task_struct *tsk)
{
    if (cpu_has_fxsr)
        __asm__ volatile("fxsave %0 ; fnclex" : "=m" (tsk->thread.i387.fxsave));
    else
        __asm__ volatile("fnsave %0 ; fwait" : "=m" (tsk->thread.i387.fsave));
    tsk->thread_info->status &= ~TS_USEDFPU;
    saves++;
}

#define save_init_fpu(tsk) do { __save_init_fpu(tsk); stts(); } while (0)

#ifndef NO_LAZY_FPU
#define __unlazy_fpu(tsk) do {                          \
    if ((tsk)->thread_info->status & TS_USEDFPU)        \
        save_init_fpu(tsk);                             \
} while (0)
#else
#define __unlazy_fpu(tsk) do { (void)(tsk); } while (0) /* the lazy save switched off */
#endif

static inline void restore_fpu(struct task_struct *tsk)
{
    if (cpu_has_fxsr)
        __asm__ volatile("fxrstor %0" : : "m" (tsk->thread.i387.fxsave));
    else
        __asm__ volatile("frstor %0" : : "m" (tsk->thread.i387.fsave));
}

/* arch/i386/kernel/i387.c: a task's first FPU state. */
static void init_fpu(struct task_struct *tsk)
{
    if (cpu_has_fxsr) {
        memset(&tsk->thread.i387.fxsave, 0, sizeof(struct i387_fxsave_struct));
        tsk->thread.i387.fxsave.cwd = 0x37f;
        if (cpu_has_xmm)
            tsk->thread.i387.fxsave.mxcsr = 0x1f80;
    } else {
        memset(&tsk->thread.i387.fsave, 0, sizeof(struct i387_fsave_struct));
        tsk->thread.i387.fsave.cwd = 0xffff037fu;
        tsk->thread.i387.fsave.swd = 0xffff0000u;
        tsk->thread.i387.fsave.twd = 0xffffffffu;
        tsk->thread.i387.fsave.fos = 0xffff0000u;
    }
    tsk->used_math = 1;
    init_fpus++;
}

/* arch/i386/kernel/traps.c: the #NM handler's C part. */
__attribute__((used)) void math_state_restore(void)
{
    struct thread_info *thread = current_thread_info();
    struct task_struct *tsk = thread->task;

    clts();                             /* allow maths ops (or we recurse) */
    if (!tsk->used_math)
        init_fpu(tsk);
    restore_fpu(tsk);
    thread->status |= TS_USEDFPU;       /* so we save on switch_to() */
    nm_faults++;
    print_task("math_state_restore: #NM in ", tsk);
    console_puts(tsk == &b_task && nm_faults == 1 ? ", a fresh FPU\n" : ", its FPU restored\n");
}

__attribute__((used)) void math_emulate(void)
{
    console_puts("math_emulate: CR0.EM set, no math emulation\n");
    for (;;) __asm__ volatile("hlt");
}

/* arch/i386/kernel/process.c: runs on next's stack, returns prev in %eax. */
__attribute__((used, noinline))
fastcall struct task_struct *__switch_to(struct task_struct *prev_p, struct task_struct *next_p)
{
    switches++;
    print_task("__switch_to: ", prev_p);
    print_task(" -> ", next_p);
    console_putc('\n');
    __unlazy_fpu(prev_p);
    init_tss.esp0 = next_p->thread.esp0;  /* load_esp0 */
    return prev_p;
}

/* kernel/sched.c: the first thing a new task runs, from ret_from_fork. */
__attribute__((used)) void schedule_tail(struct task_struct *prev)
{
    print_task("", current);
    print_task(": first run, in ret_from_fork after ", prev);
    console_putc('\n');
}

__attribute__((used)) void do_exit(long code)
{
    (void)code;
    console_puts("do_exit\n");
    for (;;) __asm__ volatile("hlt");
}

/* arch/i386/kernel/process.c: copy_thread and kernel_thread, for a kernel thread. */
static void kernel_thread(int (*fn)(void *), void *arg, struct task_struct *p, union thread_union *stack)
{
    struct pt_regs *regs = ((struct pt_regs *)(THREAD_SIZE + (unsigned long)&stack->thread_info)) - 1;
    memset(regs, 0, sizeof *regs);
    regs->ebx = (unsigned long)fn;
    regs->edx = (unsigned long)arg;
    regs->xds = __USER_DS;
    regs->xes = __USER_DS;
    regs->orig_eax = -1;
    regs->eip = (unsigned long)kernel_thread_helper;
    regs->xcs = __KERNEL_CS;
    regs->eflags = 0x286;
    stack->thread_info.task = p;
    p->thread_info = &stack->thread_info;
    p->thread.esp = (unsigned long)regs;
    p->thread.esp0 = (unsigned long)(regs + 1);
    p->thread.eip = (unsigned long)ret_from_fork;
    p->state = TASK_RUNNING;
}

/*
 * The two computations, in x87 assembly so their state stays on the x87
 * stack between the statements (the C code around them does no floating
 * point: gcc leaves the x87 alone there).
 *
 * Leibniz: ST(0) sum, ST(1) denominator d, ST(2) sign s; each step adds
 * s/d, negates s and adds 2 to d.
 */
static inline void leibniz_start(const unsigned short *control)
{
    __asm__ volatile("fldcw %0\n\tfld1\n\tfld1\n\tfldz" : : "m" (*control));
}

static inline void leibniz_steps(unsigned long count)
{
    __asm__ volatile("1:\n\t"
                     "fld %%st(2)\n\t"          /* s */
                     "fdiv %%st(2), %%st\n\t"   /* s / d */
                     "faddp %%st, %%st(1)\n\t"  /* sum += s / d */
                     "fxch %%st(2)\n\t"
                     "fchs\n\t"                 /* s = -s */
                     "fxch %%st(2)\n\t"
                     "fld1\n\t"
                     "fadd %%st(0), %%st\n\t"
                     "faddp %%st, %%st(2)\n\t"  /* d += 2 */
                     "loop 1b"
                     : "+c" (count) : : "memory");
}

/* e: ST(0) sum, ST(1) term, ST(2) k; each step divides the term by k, adds it, and adds 1 to k. */
static inline void e_start(const unsigned short *control)
{
    __asm__ volatile("fldcw %0\n\tfld1\n\tfld1\n\tfld1" : : "m" (*control));
}

static inline void e_steps(unsigned long count)
{
    __asm__ volatile("1:\n\t"
                     "fxch %%st(1)\n\t"
                     "fdiv %%st(2), %%st\n\t"   /* term /= k */
                     "fadd %%st, %%st(1)\n\t"   /* sum += term */
                     "fxch %%st(1)\n\t"
                     "fld1\n\t"
                     "faddp %%st, %%st(3)\n\t"  /* k += 1 */
                     "loop 1b"
                     : "+c" (count) : : "memory");
}

/* Stores ST(0) and empties the three-register stack. */
static inline void finish(double *result)
{
    __asm__ volatile("fstpl %0\n\tfstp %%st(0)\n\tfstp %%st(0)" : "=m" (*result));
}

static const unsigned short a_control = A_CONTROL, b_control = B_CONTROL;

static int b_main(void *arg)
{
    struct task_struct *prev = &b_task, *next = &a_task, *last;
    (void)arg;
    console_puts("B: summing e (round up, 53-bit precision), state on the x87 stack\n");
    e_start(&b_control);                /* #NM: B's first x87 instruction */
    e_steps(TERMS_B / 2);
    switch_to(prev, next, last);
    print_task("B: back from switch_to, last = ", last);
    console_putc('\n');
    e_steps(TERMS_B / 2);               /* #NM: B's state comes back */
    finish(&b_result);
    switch_to(prev, next, last);
    return 0;
}

static void report(const char *name, double result, double reference)
{
    union { double d; unsigned long long u; } r = { result }, s = { reference };
    console_puts(name);
    print_double(result);
    if (r.u == s.u) {
        matches++;
        console_puts(", the uninterrupted sum\n");
    } else {
        console_puts(", but the uninterrupted sum is ");
        print_double(reference);
        console_putc('\n');
    }
}

static unsigned long a_main(void)
{
    struct task_struct *prev = &a_task, *next = &b_task, *last;
    __asm__ volatile("fninit");         /* the boot CPU's FPU, owned by A */
    current_thread_info()->status |= TS_USEDFPU;
    a_task.used_math = 1;
    console_puts(cpu_has_fxsr ? "A: cpu_has_fxsr: __unlazy_fpu saves with fxsave\n"
                              : "A: !cpu_has_fxsr: __unlazy_fpu saves with fnsave\n");
    console_puts("A: summing pi/4 (Leibniz, round toward zero), state on the x87 stack\n");
    leibniz_start(&a_control);
    leibniz_steps(TERMS_A / 2);
    switch_to(prev, next, last);
    print_task("A: back from switch_to, last = ", last);
    console_putc('\n');
    leibniz_steps(TERMS_A / 2);         /* #NM: A's state comes back */
    finish(&a_result);
    switch_to(prev, next, last);        /* let B finish */

    leibniz_start(&a_control);          /* #NM again: B's switch set TS */
    leibniz_steps(TERMS_A);
    finish(&a_reference);
    e_start(&b_control);
    e_steps(TERMS_B);
    finish(&b_reference);
    report("A: pi/4 = ", a_result, a_reference);
    report("B: e = ", b_result, b_reference);
    return matches;
}

__attribute__((used)) unsigned long start_kernel(void)
{
    cpu_gdt_table[GDT_ENTRY_TSS] = (struct desc_struct)DESC(0, 0x67, 0x89, 0);
    cpu_gdt_table[GDT_ENTRY_TSS].a |= ((unsigned long)&init_tss & 0xffff) << 16;
    cpu_gdt_table[GDT_ENTRY_TSS].b |= ((unsigned long)&init_tss & 0xff000000) | (((unsigned long)&init_tss >> 16) & 0xff);
    init_tss.ss0 = __KERNEL_DS;
    init_tss.esp0 = (unsigned long)&a_thread_union + THREAD_SIZE;
    init_tss.io_bitmap_base = 0x8000;
    __asm__ volatile("ltr %w0" : : "q" (GDT_ENTRY_TSS * 8));

    unsigned long handler = (unsigned long)device_not_available;
    idt_table[7].a = (__KERNEL_CS << 16) | (handler & 0xffff);
    idt_table[7].b = (handler & 0xffff0000) | (0x8f << 8);  /* set_trap_gate */
    __asm__ volatile("lidt %0" : : "m" (idt_descr));

    a_thread_union.thread_info.task = &a_task;
    a_task.thread_info = &a_thread_union.thread_info;
    a_task.thread.esp0 = init_tss.esp0;
    kernel_thread(b_main, 0, &b_task, &b_thread_union);
    return a_main();
}
