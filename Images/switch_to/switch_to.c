/*
 * switch_to across three tasks, as Linux 2.6.11 i386 does it
 * (arch/i386/kernel/process.c, include/asm-i386/system.h):
 *
 *   A (the boot task) uses the FPU, then switch_to(A, B).
 *   B was forked: it starts in ret_from_fork, which irets to a ring-3 stub;
 *     the stub reads its TLS word through %gs, writes to port 0xE9 (allowed by
 *     B's I/O bitmap) and does int $0x80, which lands on B's esp0: the TSS was
 *     loaded by __switch_to. The system call switches to C.
 *   C is a kernel thread (kernel_thread: CLONE_KERNEL | CLONE_VM |
 *     CLONE_UNTRACED, mm NULL) whose saved fs selector is bad: loadsegment
 *     faults and the exception-table fix-up loads 0. Its debugreg[7] arms a
 *     data breakpoint, which its first write trips. C switches to A.
 *   A checks that `last` names C, then its next FPU instruction takes #NM
 *     (__unlazy_fpu set CR0.TS) and math_state_restore brings its state back.
 *
 * The console narrates each step.
 */
#include "linux26.h"

#define NR_CPUS 2
#define IO_BITMAP_BITS 65536
#define IO_BITMAP_BYTES (IO_BITMAP_BITS / 8)
#define IO_BITMAP_LONGS (IO_BITMAP_BYTES / sizeof(long))
#define IO_BITMAP_OFFSET offsetof(struct tss_struct, io_bitmap)
#define INVALID_IO_BITMAP_OFFSET 0x8000

/* include/asm-i386/processor.h */
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
    unsigned long io_bitmap[IO_BITMAP_LONGS + 1];
    unsigned long io_bitmap_max;
} __attribute__((packed, aligned(16)));
KSTATIC_ASSERT(offsetof(struct tss_struct, esp0) == 4, "tss.esp0 at 4");
KSTATIC_ASSERT(offsetof(struct tss_struct, io_bitmap) == 104, "the I/O bitmap follows the hardware TSS");

/* Code and data descriptors are static (the boot code loads this GDT first); the TSS is set at run time. */
#define DESC(base, limit, access, flags) \
    { (((base) & 0xffff) << 16) | ((limit) & 0xffff), \
      ((base) & 0xff000000) | ((flags) << 20) | ((limit) & 0xf0000) | ((access) << 8) | (((base) >> 16) & 0xff) }
struct desc_struct cpu_gdt_table[NR_CPUS][GDT_ENTRIES] __attribute__((aligned(8))) = {
    [0 ... NR_CPUS - 1] = {
        [12] = DESC(0, 0xfffff, 0x9a, 0xc),  /* __KERNEL_CS */
        [13] = DESC(0, 0xfffff, 0x92, 0xc),  /* __KERNEL_DS */
        [14] = DESC(0, 0xfffff, 0xfa, 0xc),  /* __USER_CS */
        [15] = DESC(0, 0xfffff, 0xf2, 0xc),  /* __USER_DS */
    },
};
struct desc_struct idt_table[256] __attribute__((aligned(8)));
struct { unsigned short limit; unsigned long base; } __attribute__((packed))
    cpu_gdt_descr = { GDT_ENTRIES * 8 - 1, (unsigned long)cpu_gdt_table[0] },
    idt_descr = { 256 * 8 - 1, (unsigned long)idt_table };
struct tss_struct init_tss[NR_CPUS];

/* A's union is the seeds' example, at 0x015fa000; B's and C's follow it. */
union thread_union a_thread_union __attribute__((section(".thread_union.a"), aligned(THREAD_SIZE)));
union thread_union b_thread_union __attribute__((section(".thread_union.b"), aligned(THREAD_SIZE)));
union thread_union c_thread_union __attribute__((section(".thread_union.c"), aligned(THREAD_SIZE)));
struct task_struct a_task = { .pid = 1, .comm = "A" };
struct task_struct b_task = { .pid = 2, .comm = "B" };
struct task_struct c_task = { .pid = 3, .comm = "C" };
struct mm_struct { int users; } b_mm = { 1 };

unsigned long b_tls_block[4] = { 0x7b1500d5 };       /* what B's %gs:0 reads */
unsigned long b_io_bitmap[IO_BITMAP_LONGS + 1];
volatile unsigned long c_watch;

/* What the run leaves for the expectations. */
unsigned long clone_flags_seen;
unsigned long syscall_regs, syscall_tls_value, syscall_cs;
unsigned long fixups, debug_hits, debug_dr6, nm_faults, switches;
unsigned long c_fs_after_fixup = 0xffffffff;

extern char ret_from_fork[], kernel_thread_helper[], system_call[], user_stub[];
extern char general_protection[], device_not_available[], debug[];
extern unsigned long __start___ex_table[], __stop___ex_table[];

void *memcpy(void *to, const void *from, unsigned long n)
{
    char *d = to;
    const char *s = from;
    while (n--) *d++ = *s++;
    return to;
}

void *memset(void *to, int c, unsigned long n)
{
    char *d = to;
    while (n--) *d++ = (char)c;
    return to;
}

static void print_task(const char *text, struct task_struct *task)
{
    console_puts(text);
    console_puts(task->comm);
}

static struct desc_struct make_desc(unsigned long base, unsigned long limit, unsigned int access, unsigned int flags)
{
    struct desc_struct d;
    d.a = ((base & 0xffff) << 16) | (limit & 0xffff);
    d.b = (base & 0xff000000) | (flags << 20) | (limit & 0xf0000) | (access << 8) | ((base >> 16) & 0xff);
    return d;
}

static void set_gate(int vector, void *handler, unsigned int type_dpl)
{
    unsigned long address = (unsigned long)handler;
    idt_table[vector].a = (__KERNEL_CS << 16) | (address & 0xffff);
    idt_table[vector].b = (address & 0xffff0000) | (type_dpl << 8);
}

static inline int smp_processor_id(void) { return current_thread_info()->cpu; }

/* include/asm-i386/i387.h */
static inline void __unlazy_fpu(struct task_struct *tsk)
{
    if (tsk->thread_info->status & TS_USEDFPU) {
        __asm__ volatile("fxsave %0" : "=m" (tsk->thread.i387));
        tsk->thread_info->status &= ~TS_USEDFPU;
        stts();
    }
}

static inline void load_esp0(struct tss_struct *tss, struct thread_struct *thread)
{
    tss->esp0 = thread->esp0;
}

static inline void load_TLS(struct thread_struct *t, unsigned int cpu)
{
    for (int i = 0; i < GDT_ENTRY_TLS_ENTRIES; i++)
        cpu_gdt_table[cpu][GDT_ENTRY_TLS_MIN + i] = t->tls_array[i];
}

static void handle_io_bitmap(struct thread_struct *next, struct tss_struct *tss)
{
    if (!next->io_bitmap_ptr) {
        tss->io_bitmap_base = INVALID_IO_BITMAP_OFFSET;
        return;
    }
    memcpy(tss->io_bitmap, next->io_bitmap_ptr,
           next->io_bitmap_max > tss->io_bitmap_max ? next->io_bitmap_max : tss->io_bitmap_max);
    tss->io_bitmap_max = next->io_bitmap_max;
    tss->io_bitmap_base = IO_BITMAP_OFFSET;
}

/* arch/i386/kernel/process.c: runs on next's stack, returns prev in %eax. */
__attribute__((used, noinline))
fastcall struct task_struct *__switch_to(struct task_struct *prev_p, struct task_struct *next_p)
{
    struct thread_struct *prev = &prev_p->thread, *next = &next_p->thread;
    int cpu = smp_processor_id();
    struct tss_struct *tss = &init_tss[cpu];

    switches++;
    print_task("__switch_to: ", prev_p);
    print_task(" -> ", next_p);
    console_putc('\n');

    __unlazy_fpu(prev_p);
    load_esp0(tss, next);
    load_TLS(next, cpu);
    savesegment(fs, prev->fs);
    savesegment(gs, prev->gs);
    if (prev->fs | prev->gs | next->fs | next->gs) {
        loadsegment(fs, next->fs);
        loadsegment(gs, next->gs);
    }
    if (next->debugreg[7]) {
        set_debugreg(next->debugreg[0], 0);
        set_debugreg(next->debugreg[1], 1);
        set_debugreg(next->debugreg[2], 2);
        set_debugreg(next->debugreg[3], 3);
        set_debugreg(next->debugreg[6], 6);
        set_debugreg(next->debugreg[7], 7);
    }
    if (prev->io_bitmap_ptr || next->io_bitmap_ptr)
        handle_io_bitmap(next, tss);
    return prev_p;
}

/* kernel/sched.c: the first thing a new task runs, from ret_from_fork. */
__attribute__((used)) void schedule_tail(struct task_struct *prev)
{
    print_task("", current);
    print_task(": first run, in ret_from_fork after ", prev);
    console_putc('\n');
}

/* arch/i386/kernel/process.c: copy_thread, for a forked user task or a kernel thread. */
static void copy_thread(struct task_struct *p, union thread_union *stack, struct pt_regs *regs)
{
    struct pt_regs *childregs = ((struct pt_regs *)(THREAD_SIZE + (unsigned long)&stack->thread_info)) - 1;
    *childregs = *regs;
    childregs->eax = 0;
    stack->thread_info.task = p;
    stack->thread_info.cpu = 0;
    p->thread_info = &stack->thread_info;
    p->thread.esp = (unsigned long)childregs;
    p->thread.esp0 = (unsigned long)(childregs + 1);
    p->thread.eip = (unsigned long)ret_from_fork;
}

static void do_fork(unsigned long clone_flags, struct task_struct *p, union thread_union *stack, struct pt_regs *regs)
{
    clone_flags_seen = clone_flags;
    copy_thread(p, stack, regs);
    p->mm = (clone_flags & CLONE_VM) && !(p->flags & 1) ? 0 : p->mm;
    p->state = TASK_RUNNING;
}

/* arch/i386/kernel/process.c: kernel_thread. */
static void kernel_thread(int (*fn)(void *), void *arg, unsigned long flags,
                          struct task_struct *p, union thread_union *stack)
{
    struct pt_regs regs;
    memset(&regs, 0, sizeof regs);
    regs.ebx = (unsigned long)fn;
    regs.edx = (unsigned long)arg;
    regs.xds = __USER_DS;
    regs.xes = __USER_DS;
    regs.orig_eax = -1;
    regs.eip = (unsigned long)kernel_thread_helper;
    regs.xcs = __KERNEL_CS;
    regs.eflags = 0x286;  /* IF | SF | PF | bit 1 */
    do_fork(flags | CLONE_VM | CLONE_UNTRACED, p, stack, &regs);
}

__attribute__((used)) fastcall unsigned long search_exception_table(unsigned long eip)
{
    for (unsigned long *entry = __start___ex_table; entry < __stop___ex_table; entry += 2) {
        if (entry[0] == eip) {
            fixups++;
            console_puts("general protection fault: fixed up by __ex_table\n");
            return entry[1];
        }
    }
    return 0;
}

__attribute__((used)) fastcall void die_general_protection(unsigned long error_code)
{
    console_puts("general protection fault, error code ");
    console_hex(error_code);
    console_puts(": oops\n");
}

__attribute__((used)) void math_state_restore(void)
{
    struct task_struct *tsk = current;
    clts();
    if (tsk->used_math)
        __asm__ volatile("fxrstor %0" : : "m" (tsk->thread.i387));
    current_thread_info()->status |= TS_USEDFPU;
    nm_faults++;
    print_task("math_state_restore: #NM in ", tsk);
    console_putc('\n');
}

__attribute__((used)) void do_debug(void)
{
    unsigned long dr6;
    get_debugreg(dr6, 6);
    debug_dr6 = dr6;
    debug_hits++;
    set_debugreg(0UL, 7);
    set_debugreg(0UL, 6);
    print_task("do_debug: data breakpoint in ", current);
    console_puts(", DR6 ");
    console_hex(dr6);
    console_putc('\n');
}

__attribute__((used)) void do_exit(long code)
{
    (void)code;
    console_puts("do_exit\n");
    for (;;) __asm__ volatile("hlt");
}

/* B's int $0x80: on B's kernel stack (esp0), then schedule to C. */
__attribute__((used)) fastcall void do_system_call(struct pt_regs *regs)
{
    struct task_struct *prev = current, *next = &c_task, *last;
    syscall_regs = (unsigned long)regs;
    syscall_tls_value = regs->ebx;
    syscall_cs = regs->xcs;
    print_task("", prev);
    console_puts(": int $0x80 from cs ");
    console_hex(regs->xcs);
    console_puts(", pt_regs end at ");
    console_hex((unsigned long)(regs + 1));
    console_puts(regs + 1 == (struct pt_regs *)prev->thread.esp0 ? " = esp0 of B\n" : " != esp0\n");
    switch_to(prev, next, last);
    (void)last;
}

static int c_main(void *arg)
{
    struct task_struct *prev = current, *next = &a_task, *last;
    unsigned long fs = 0;
    savesegment(fs, fs);
    c_fs_after_fixup = fs & 0xffff;
    print_task("", prev);
    console_puts(prev->mm ? ": user task" : ": kernel thread (mm NULL)");
    console_puts(", arg ");
    console_hex((unsigned long)arg);
    console_puts(", fs ");
    console_hex(c_fs_after_fixup);
    console_putc('\n');
    c_watch = 1;  /* trips the breakpoint C's debugreg[7] arms */
    switch_to(prev, next, last);
    (void)last;
    return 0;
}

static unsigned long a_main(void)
{
    struct task_struct *prev = &a_task, *next = &b_task, *last;
    __asm__ volatile("fninit");
    current_thread_info()->status |= TS_USEDFPU;
    a_task.used_math = 1;
    print_task("", current);
    console_puts(": running on cpu 0, uses the FPU\n");
    switch_to(prev, next, last);
    print_task("", current);
    print_task(": back from switch_to, last = ", last);
    console_putc('\n');
    unsigned short control;
    __asm__ volatile("fnstcw %0" : "=m" (control));  /* #NM: TS was set by __unlazy_fpu */
    return (unsigned long)last;
}

__attribute__((used)) unsigned long start_kernel(void)
{
    /* The per-CPU GDT (include/asm-i386/segment.h layout) and the TSS. */
    for (int cpu = 0; cpu < NR_CPUS; cpu++) {
        cpu_gdt_table[cpu][GDT_ENTRY_TSS] = make_desc((unsigned long)&init_tss[cpu],
                                                      IO_BITMAP_OFFSET + IO_BITMAP_BYTES, 0x89, 0);
        init_tss[cpu].ss0 = __KERNEL_DS;
        init_tss[cpu].io_bitmap_base = INVALID_IO_BITMAP_OFFSET;
        init_tss[cpu].io_bitmap[IO_BITMAP_LONGS] = ~0UL;
    }
    init_tss[0].esp0 = (unsigned long)&a_thread_union + THREAD_SIZE;
    __asm__ volatile("ltr %w0" : : "q" (GDT_ENTRY_TSS * 8));

    set_gate(1, debug, 0x8e);                 /* set_intr_gate */
    set_gate(7, device_not_available, 0x8f);  /* set_trap_gate */
    set_gate(13, general_protection, 0x8f);
    set_gate(0x80, system_call, 0xef);        /* set_system_gate: DPL 3 */
    __asm__ volatile("lidt %0" : : "m" (idt_descr));

    a_thread_union.thread_info.task = &a_task;
    a_task.thread_info = &a_thread_union.thread_info;
    a_task.thread.esp0 = init_tss[0].esp0;

    /* B: a forked user task that returns to ring 3 with a TLS segment and an I/O bitmap. */
    struct pt_regs user = { .xds = __USER_DS, .xes = __USER_DS, .orig_eax = -1,
                            .eip = (unsigned long)user_stub, .xcs = __USER_CS, .eflags = 0x202,
                            .esp = (unsigned long)&b_tls_block[4] + 256, .xss = __USER_DS };
    b_task.mm = &b_mm;
    b_task.flags = 1;
    do_fork(0, &b_task, &b_thread_union, &user);
    b_task.thread.tls_array[0] = make_desc((unsigned long)b_tls_block, 0xfffff, 0xf2, 0xc);
    b_task.thread.gs = GDT_ENTRY_TLS_MIN * 8 + 3;
    for (unsigned int i = 0; i <= IO_BITMAP_LONGS; i++)
        b_io_bitmap[i] = ~0UL;
    b_io_bitmap[0xe9 / 32] &= ~(1UL << (0xe9 % 32));
    b_task.thread.io_bitmap_ptr = b_io_bitmap;
    b_task.thread.io_bitmap_max = 0xe9 / 8 + 1;

    /* C: a kernel thread with a stale fs selector and a write breakpoint on c_watch. */
    kernel_thread(c_main, (void *)0xc0ffee, CLONE_KERNEL, &c_task, &c_thread_union);
    c_task.thread.fs = 0x1234;
    c_task.thread.debugreg[0] = (unsigned long)&c_watch;
    c_task.thread.debugreg[7] = 0x000d0001;  /* L0, write, 4 bytes */

    return a_main();
}
