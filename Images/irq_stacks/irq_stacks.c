/*
 * CONFIG_4KSTACKS (arch/i386/kernel/irq.c, 2.6.11): 4 KB thread_unions and,
 * per CPU, a 4 KB hard-IRQ stack and a 4 KB soft-IRQ stack, each starting
 * with a thread_info whose task do_IRQ / do_softirq copy from the
 * interrupted task and whose previous_esp records the esp they came from —
 * so `current` (esp & ~4095, then ->task) is right on all three stacks.
 *
 * A kernel thread, worker, computes with interrupts on. The PIT interrupts
 * it: do_IRQ moves onto the hard-IRQ stack (xchgl %ebx,%esp; call __do_IRQ),
 * the timer handler raises TIMER_SOFTIRQ, and irq_exit runs do_softirq,
 * which moves onto the soft-IRQ stack with interrupts enabled. The timer
 * softirq runs until the next tick interrupts it: that hard IRQ goes onto
 * the hard-IRQ stack again — the seeds' "three levels of processing", each
 * on its own stack. Each level records esp, current and previous_esp, and
 * at the end a stack report (the stacks are painted with 0x5a5a5a5a at
 * boot) says how deep each stack got.
 *
 * Built twice: irq_stacks_4k (THREAD_SIZE 4096, CONFIG_4KSTACKS) and
 * irq_stacks_8k (THREAD_SIZE 8192, no IRQ stacks: all three levels on the
 * worker's one 8 KB stack, as i386 did before 4KSTACKS).
 */
#include "kernel26.h"

#define CONFIG_4KSTACKS (THREAD_SIZE == 4096)
#define NR_CPUS 1
#define PAINT 0x5a5a5a5aUL
#define HARDIRQ_OFFSET 0x10000
#define SOFTIRQ_OFFSET 0x100
#define TIMER_SOFTIRQ 1

TASK_SLOT(worker);
union thread_union *const thread_union_pool[] = { &worker_thread_union };
task_t *const task_pool[] = { &worker_task };
const int task_pool_size = 1;

#if CONFIG_4KSTACKS
/*
 * include/asm-i386/irq.h: union irq_ctx. 2.6 names the per-CPU stacks
 * hardirq_stack and softirq_stack; here they end in thread_union so that
 * kstep check-current finds them.
 */
union irq_ctx {
    struct thread_info tinfo;
    unsigned long stack[THREAD_SIZE / sizeof(long)];
};
union irq_ctx hardirq_thread_union __attribute__((section(".thread_union.hardirq"), aligned(THREAD_SIZE)));
union irq_ctx softirq_thread_union __attribute__((section(".thread_union.softirq"), aligned(THREAD_SIZE)));
union irq_ctx *hardirq_ctx[NR_CPUS], *softirq_ctx[NR_CPUS];
#endif

static inline void outb(unsigned char value, unsigned short port)
{
    __asm__ volatile("outb %0, %w1" : : "a" (value), "Nd" (port));
}

static inline unsigned long current_stack_pointer(void)
{
    unsigned long esp;
    __asm__ volatile("movl %%esp, %0" : "=r" (esp));
    return esp;
}

/* What each level saw: esp, current, the thread_info esp named and its previous_esp. */
struct level { unsigned long esp, task, thread_info, previous_esp, preempt_count; };
struct level seen_task, seen_hardirq, seen_softirq, seen_nested_hardirq;
volatile unsigned long softirq_pending, hardirqs, softirq_runs, nested_hardirqs, worker_loops;
unsigned long used_task, used_hardirq, used_softirq;

static void note(struct level *level)
{
    struct thread_info *ti = current_thread_info();
    level->esp = current_stack_pointer();
    level->task = (unsigned long)current;
    level->thread_info = (unsigned long)ti;
    level->previous_esp = ti->previous_esp;
    level->preempt_count = ti->preempt_count;
}

#define in_interrupt() (current_thread_info()->preempt_count & (HARDIRQ_OFFSET * 0xff | SOFTIRQ_OFFSET * 0xff))

/* The timer softirq: the first run lasts until the next tick has interrupted it. */
static void run_timer_softirq(void)
{
    softirq_runs++;
    if (softirq_runs == 1) {
        note(&seen_softirq);
        for (unsigned long spins = 0; nested_hardirqs == 0 && spins < 100000; spins++)
            __asm__ volatile("" : : : "memory");
    }
}

/* kernel/softirq.c: __do_softirq, with bottom halves off and interrupts on while the handlers run. */
__attribute__((regparm(0), used)) void __do_softirq(void)   /* asmlinkage */
{
    current_thread_info()->preempt_count += SOFTIRQ_OFFSET;    /* local_bh_disable */
    while (softirq_pending) {
        unsigned long pending = softirq_pending;
        softirq_pending = 0;
        local_irq_enable();
        if (pending & (1 << TIMER_SOFTIRQ)) run_timer_softirq();
        local_irq_disable();
    }
    current_thread_info()->preempt_count -= SOFTIRQ_OFFSET;
}

void do_softirq(void)
{
    unsigned long flags;
    if (in_interrupt()) return;
    local_irq_save(flags);
    if (softirq_pending) {
#if CONFIG_4KSTACKS
        struct thread_info *curctx = current_thread_info();
        union irq_ctx *irqctx = softirq_ctx[0];
        irqctx->tinfo.task = curctx->task;
        irqctx->tinfo.previous_esp = current_stack_pointer();
        /* build the stack frame on the softirq stack */
        unsigned long *isp = (unsigned long *)((char *)irqctx + sizeof(*irqctx));
        __asm__ volatile("       xchgl   %%ebx,%%esp     \n"
                         "       call    __do_softirq    \n"
                         "       movl    %%ebx,%%esp     \n"
                         : "=b" (isp) : "0" (isp) : "memory", "cc", "edx", "ecx", "eax");
#else
        __do_softirq();
#endif
    }
    local_irq_restore(flags);
}

/* The timer's handle_IRQ_event: jiffies, the EOI, and the softirq. */
fastcall void __do_IRQ(int irq, struct pt_regs *regs)
{
    (void)regs;
    if (irq != 0) return;
    hardirqs++;
    jiffies++;
    if (softirq_runs == 1 && nested_hardirqs++ == 0) note(&seen_nested_hardirq);
    else if (hardirqs == 1) note(&seen_hardirq);
    outb(0x20, 0x20);                   /* EOI */
    softirq_pending |= 1 << TIMER_SOFTIRQ;      /* raise_softirq(TIMER_SOFTIRQ) */
}

fastcall unsigned int do_IRQ(struct pt_regs *regs)
{
    int irq = regs->orig_eax & 0xff;
    current_thread_info()->preempt_count += HARDIRQ_OFFSET;    /* irq_enter */
#if CONFIG_4KSTACKS
    {
        struct thread_info *curctx = current_thread_info();
        union irq_ctx *irqctx = hardirq_ctx[0];
        if ((union irq_ctx *)curctx != irqctx) {
            int arg1, arg2, ebx;
            /* build the stack frame on the IRQ stack */
            unsigned long *isp = (unsigned long *)((char *)irqctx + sizeof(*irqctx));
            irqctx->tinfo.task = curctx->task;
            irqctx->tinfo.previous_esp = current_stack_pointer();
            __asm__ volatile("       xchgl   %%ebx,%%esp      \n"
                             "       call    __do_IRQ         \n"
                             "       movl   %%ebx,%%esp      \n"
                             : "=a" (arg1), "=d" (arg2), "=b" (ebx)
                             : "0" (irq), "1" (regs), "2" (isp)
                             : "memory", "cc", "ecx");
        } else
            __do_IRQ(irq, regs);
    }
#else
    __do_IRQ(irq, regs);
#endif
    current_thread_info()->preempt_count -= HARDIRQ_OFFSET;    /* irq_exit */
    if (!in_interrupt() && softirq_pending)
        do_softirq();
    return 1;
}

#if CONFIG_4KSTACKS
/* arch/i386/kernel/irq.c: irq_ctx_init */
static void irq_ctx_init(int cpu)
{
    union irq_ctx *irqctx = &hardirq_thread_union;
    irqctx->tinfo.task = 0;
    irqctx->tinfo.cpu = cpu;
    irqctx->tinfo.preempt_count = HARDIRQ_OFFSET;
    irqctx->tinfo.addr_limit = 0;
    hardirq_ctx[cpu] = irqctx;
    irqctx = &softirq_thread_union;
    irqctx->tinfo.task = 0;
    irqctx->tinfo.cpu = cpu;
    irqctx->tinfo.preempt_count = SOFTIRQ_OFFSET;
    irqctx->tinfo.addr_limit = 0;
    softirq_ctx[cpu] = irqctx;
}
#endif

/* Paints a stack above its thread_info with one rep stosl. */
static void paint(void *stack)
{
    unsigned long *word = (unsigned long *)((char *)stack + sizeof(struct thread_info));
    unsigned long count = (THREAD_SIZE - sizeof(struct thread_info)) / 4;
    __asm__ volatile("rep stosl" : "+D" (word), "+c" (count) : "a" (PAINT) : "memory");
}

/* Bytes of a stack that were used: from the lowest word no longer painted (found with repe scasl) to the top. */
static unsigned long used(void *stack)
{
    unsigned long *word = (unsigned long *)((char *)stack + sizeof(struct thread_info));
    unsigned long count = (THREAD_SIZE - sizeof(struct thread_info)) / 4;
    unsigned char differs;
    __asm__ volatile("repe scasl; setnz %2" : "+D" (word), "+c" (count), "=q" (differs) : "a" (PAINT) : "memory", "cc");
    return differs ? (char *)stack + THREAD_SIZE - (char *)(word - 1) : 0;  /* edi is one word past the unpainted one */
}

static int worker(void *data)
{
    (void)data;
    sprintf(current->comm, "worker");
    note(&seen_task);
    while (softirq_runs < 2 && worker_loops < 1000000) worker_loops++;   /* interrupts on: the ticks come here */
    return 0;
}

static void show(const char *what, struct level *level, void *stack, const char *name)
{
    task_t *task = (task_t *)level->task;
    printk("%-22s esp %08lx on %s (%08lx), current %s (pid %i)", what, level->esp, name,
           level->thread_info, task ? task->comm : "?", task ? task->pid : -1);
    if (task && level->thread_info != (unsigned long)task->thread_info)
        printk(", previous_esp %08lx", level->previous_esp);
    printk("\n");
    (void)stack;
}

void start_kernel(void)
{
    init_task_setup();
    paint(&worker_thread_union);
#if CONFIG_4KSTACKS
    irq_ctx_init(0);
    paint(&hardirq_thread_union);
    paint(&softirq_thread_union);
#endif
    time_init();
    kernel_thread(worker, 0, CLONE_KERNEL);
    schedule();                         /* the worker runs until it exits; interrupts are off after */
    used_task = used(&worker_thread_union);
    printk("THREAD_SIZE %d%s\n", THREAD_SIZE, CONFIG_4KSTACKS ? ": CONFIG_4KSTACKS, hard and soft IRQ stacks" : ": no IRQ stacks");
#if CONFIG_4KSTACKS
    used_hardirq = used(&hardirq_thread_union);
    used_softirq = used(&softirq_thread_union);
    show("task:", &seen_task, &worker_thread_union, "worker_thread_union");
    show("hard IRQ (tick 1):", &seen_hardirq, &hardirq_thread_union, "hardirq_stack");
    show("softirq:", &seen_softirq, &softirq_thread_union, "softirq_stack");
    show("hard IRQ in softirq:", &seen_nested_hardirq, &hardirq_thread_union, "hardirq_stack");
    printk("stack report: worker %lu bytes, hardirq %lu bytes, softirq %lu bytes of %d each\n",
           used_task, used_hardirq, used_softirq, THREAD_SIZE);
#else
    show("task:", &seen_task, &worker_thread_union, "worker_thread_union");
    show("hard IRQ (tick 1):", &seen_hardirq, &worker_thread_union, "worker_thread_union");
    show("softirq:", &seen_softirq, &worker_thread_union, "worker_thread_union");
    show("hard IRQ in softirq:", &seen_nested_hardirq, &worker_thread_union, "worker_thread_union");
    printk("stack report: worker %lu bytes of %d: all three levels on one stack\n", used_task, THREAD_SIZE);
#endif
    printk("%lu hard IRQs, %lu softirq runs, %lu nested in a softirq\n", hardirqs, softirq_runs, nested_hardirqs);
}
