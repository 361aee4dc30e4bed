/*
 * A spinlock that two tasks contend for, spinning with pause.
 *
 * Two kernel threads, A and B, each add 1 to a shared counter LOOPS times
 * under one spinlock_t, with 2.6.11's i386 lock (spinlock.h: lock; decb,
 * the out-of-line rep;nop loop, movb $1). Each increment is a read, a
 * delay, and a write, so without the lock an interleaving would lose
 * updates; with it the counter ends at exactly 2 * LOOPS.
 *
 * One CPU standing in for two. On SMP, A and B run at the same time and
 * the waiter spins while the holder, on the other CPU, finishes. kstep has
 * one CPU, so this image time-slices A and B with the PIT: scheduler_tick
 * counts down the running task's time slice, sets TIF_NEED_RESCHED when it
 * is used up, and the IRQ exit path (entry.S, CONFIG_PREEMPT's
 * resume_kernel) calls preempt_schedule_irq. A tick can therefore preempt
 * the lock holder; the waiter then spins with pause until the next tick
 * switches back to the holder, which releases the lock, and the waiter's
 * next lock; decb succeeds. 2.6 itself never does this on one CPU: with
 * CONFIG_PREEMPT, spin_lock calls preempt_disable() first (preempt_count
 * 1 stops resume_kernel), and without CONFIG_PREEMPT nothing preempts
 * kernel code; on a UP kernel spin_lock is no lock at all. The image calls
 * _raw_spin_lock — the SMP lock without the preempt_disable — on purpose,
 * so that the spinning 2.6 does across two CPUs happens here across ticks.
 */
#include "spinlock.h"

#ifndef LOOPS
#define LOOPS 2
#endif
#define TIME_SLICE 1                    /* ticks a task runs before the tick asks to reschedule */
#ifndef HOLD
#define HOLD 300                        /* delay iterations inside the critical section */
#endif
#ifndef OUTSIDE
#define OUTSIDE 400                     /* delay iterations of work outside the lock */
#endif
#define PREEMPT_ACTIVE 0x10000000

TASK_SLOT(a); TASK_SLOT(b);
union thread_union *const thread_union_pool[] = { &a_thread_union, &b_thread_union };
task_t *const task_pool[] = { &a_task, &b_task };
const int task_pool_size = 2;

spinlock_t counter_lock = SPIN_LOCK_UNLOCKED;
volatile unsigned long shared_counter;

/* What the run leaves for the expectations, indexed by pid (1 is A, 2 is B). */
unsigned long spins[3];                 /* pause iterations each task spun, in all */
unsigned long acquisitions[3];          /* times each task took the lock */
unsigned long contended[3];             /* ... of which after spinning */
unsigned long preempted_holding[3];     /* ticks that came while the task held the lock */
unsigned long time_slice[3];
volatile unsigned long holder;          /* pid holding the lock, 0 when free */
volatile unsigned long workers_done;
volatile unsigned long waiting[3];      /* 1 while the task is in spin_lock */
static const char *const task_name[3] = { "swapper", "A", "B" };
unsigned long ticks, preemptions;

extern unsigned long irq0_count, spurious_irq7;
static inline void outb(unsigned char value, unsigned short port)
{
    __asm__ volatile("outb %0, %w1" : : "a" (value), "Nd" (port));
}

/* printk's logbuf_lock is taken with interrupts off: one line is never cut by a switch. */
#define say(...) do { unsigned long f_; local_irq_save(f_); printk(__VA_ARGS__); local_irq_restore(f_); } while (0)

/* kernel/sched.c scheduler_tick (2.6.11, reduced): the running task's slice runs out, it must reschedule. */
static void scheduler_tick(void)
{
    task_t *p = current;
    ticks++;
    if (p == runqueue.idle)
        return;
    if (holder == (unsigned long)p->pid)
        preempted_holding[p->pid]++;
    if (!--time_slice[p->pid]) {
        time_slice[p->pid] = TIME_SLICE;
        p->thread_info->flags |= _TIF_NEED_RESCHED;     /* set_tsk_need_resched */
        /* kstep's narration: what the task was doing when its slice ran out. */
        printk("  tick %lu: %s's slice is used up %s\n", ticks, task_name[p->pid],
               holder == (unsigned long)p->pid ? "while it holds the lock"
               : waiting[p->pid] ? "while it spins for the lock" : "outside the lock");
    }
}

/* The timer interrupt: do_timer, EOI, the timer bottom half, and update_process_times -> scheduler_tick. */
fastcall unsigned int do_IRQ(struct pt_regs *regs)
{
    int irq = regs->orig_eax & 0xff;
    if (irq == 7) {
        spurious_irq7++;
        return 1;
    }
    irq0_count++;
    jiffies++;
    outb(0x20, 0x20);                   /* non-specific EOI */
    run_timer_list();
    scheduler_tick();
    return 1;
}

/* kernel/sched.c preempt_schedule_irq (2.6.11): schedule from the IRQ exit, with interrupts on. */
void preempt_schedule_irq(void)
{
    struct thread_info *ti = current_thread_info();
    preemptions++;
need_resched:
    ti->preempt_count += PREEMPT_ACTIVE;
    local_irq_enable();
    schedule();
    local_irq_disable();
    ti->preempt_count -= PREEMPT_ACTIVE;
    __asm__ volatile("" : : : "memory");
    if (ti->flags & _TIF_NEED_RESCHED)
        goto need_resched;
}

static void delay(int n)
{
    for (volatile int i = 0; i < n; i++)
        ;
}

static int worker(void *data)
{
    const char *name = data;
    int me = current->pid;
    time_slice[me] = TIME_SLICE;
    for (int i = 0; i < LOOPS; i++) {
        unsigned long spun = spins[me];
        if (spin_is_locked(&counter_lock))
            say("%s finds the lock held by %s and spins\n", name, task_name[holder]);
        waiting[me] = 1;
#ifndef NO_SPINLOCK                     /* -DNO_SPINLOCK: the same run without the lock loses updates */
        _raw_spin_lock_counted(&counter_lock, &spins[me]);
#endif
        waiting[me] = 0;
        holder = me;
        unsigned long ticks_before = preempted_holding[me];
        acquisitions[me]++;
        spun = spins[me] - spun;
        if (spun) {
            contended[me]++;
            say("%s took the lock after %lu pause iterations (counter %lu)\n", name, spun, shared_counter);
        } else {
            say("%s took the lock at once (counter %lu)\n", name, shared_counter);
        }
        unsigned long value = shared_counter;       /* read ... */
        delay(HOLD);
        shared_counter = value + 1;                 /* ... and write, under the lock */
        unsigned long held_ticks = preempted_holding[me] - ticks_before;
        holder = 0;
#ifndef NO_SPINLOCK
        _raw_spin_unlock(&counter_lock);
#endif
        say("%s released the lock (counter %lu, %lu tick(s) during this hold)\n", name, shared_counter, held_ticks);
        delay(OUTSIDE);                            /* work outside the lock */
    }
    workers_done++;
    return 0;
}

void start_kernel(void)
{
    init_task_setup();
    time_init();
    kernel_thread(worker, "A", 0);
    kernel_thread(worker, "B", 0);
    schedule();                         /* A and B run until both have exited */
    say("counter %lu (expected %d), spins A %lu B %lu, ticks %lu, preemptions %lu\n",
        shared_counter, 2 * LOOPS, spins[1], spins[2], ticks, preemptions);
    machine_halt();
}
