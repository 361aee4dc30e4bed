/*
 * The small Linux 2.6 kernel the process-management images share
 * (Images/kernel26/): a run queue and schedule() with the switch_to macro,
 * wait queues (kernel/wait.c, kernel/sched.c), kernel_thread -> do_fork ->
 * copy_process (arch/i386/kernel/process.c, kernel/fork.c), do_exit, timers
 * (kernel/timer.c) and printk. Names and calling conventions are 2.6's
 * (fastcall where 2.6 has it), so kstep's trace events find them by symbol.
 */
#ifndef KSTEP_KERNEL26_H
#define KSTEP_KERNEL26_H
#include "linux26.h"

/* Reference-counted resources a clone shares or copies. */
struct mm_struct { int mm_users; int id; };
struct fs_struct { int count; int id; };
struct files_struct { int count; int id; };
struct sighand_struct { int count; int id; };

/* kernel/sched.c: one CPU's run queue, with 2.6's schedstats counters. */
struct runqueue {
    unsigned long nr_running;
    unsigned long nr_switches;        /* context switches */
    unsigned long sched_cnt;          /* calls of schedule() */
    unsigned long ttwu_cnt;           /* try_to_wake_up calls */
    unsigned long ttwu_woken;         /* ... that made a task runnable (kstep's count) */
    task_t *curr, *idle;
    struct list_head queue;           /* runnable tasks but curr... and idle, FIFO */
};
extern struct runqueue runqueue;

/*
 * The tasks an image may create: each image names its thread_unions and
 * task_structs (x_thread_union, x_task, so check-current pairs them) and
 * lists them here; dup_task_struct takes the next free pair.
 */
extern union thread_union *const thread_union_pool[];
extern task_t *const task_pool[];
extern const int task_pool_size;

extern task_t init_task;
extern union thread_union init_thread_union;
extern volatile unsigned long jiffies;

void schedule(void);
void cpu_idle(void) __attribute__((noreturn));
void safe_halt(void);
void time_init(void);
#define TIF_NEED_RESCHED 3
#define _TIF_NEED_RESCHED (1 << TIF_NEED_RESCHED)
#ifndef HZ
#define HZ 100
#endif
void sched_init(void);
void init_task_setup(void);
/* Declares one task slot: x_thread_union (its own section, so the linker lays them out in order) and x_task. */
#define TASK_SLOT(n) \
    union thread_union n##_thread_union __attribute__((section(".thread_union." #n), aligned(THREAD_SIZE))); \
    task_t n##_task
int fastcall wake_up_process(task_t *p);
void fastcall wake_up_new_task(task_t *p, unsigned long clone_flags);
int default_wake_function(wait_queue_t *curr, unsigned mode, int sync, void *key);
void fastcall add_wait_queue(wait_queue_head_t *q, wait_queue_t *wait);
void fastcall add_wait_queue_exclusive(wait_queue_head_t *q, wait_queue_t *wait);
void fastcall remove_wait_queue(wait_queue_head_t *q, wait_queue_t *wait);
void wake_up(wait_queue_head_t *q);
void sleep_on(wait_queue_head_t *q);
void sleep_on_exclusive(wait_queue_head_t *q);
static inline void init_waitqueue_entry(wait_queue_t *q, task_t *p)
{
    q->flags = 0;
    q->task = p;
    q->func = default_wake_function;
}
static inline void init_waitqueue_head(wait_queue_head_t *q)
{
    q->lock.slock = 1;
    INIT_LIST_HEAD(&q->task_list);
}

/* mm/slab.c, as a bump allocator: nothing here frees. */
#define GFP_KERNEL 0xd0
void *kmalloc(unsigned long size, int flags);
void kfree(const void *p);

/* kernel/sched.c: completions (a count and a wait queue), which vfork waits on. */
struct completion { unsigned int done; wait_queue_head_t wait; };
void wait_for_completion(struct completion *x);
void complete(struct completion *x);
task_t *find_task_by_pid(int pid);

int kernel_thread(int (*fn)(void *), void *arg, unsigned long flags);
long do_fork(unsigned long clone_flags, unsigned long stack_start, struct pt_regs *regs, unsigned long stack_size);
void do_exit(long code) __attribute__((noreturn));

/* kernel/timer.c */
void init_timer(struct timer_list *timer);
void fastcall add_timer(struct timer_list *timer);
int fastcall del_timer(struct timer_list *timer);
void run_timer_list(void);
signed long fastcall schedule_timeout(signed long timeout);
#define MAX_SCHEDULE_TIMEOUT 0x7fffffffL
#define set_current_state(state_value) set_mb(current->state, (state_value))
#define __set_current_state(state_value) do { current->state = (state_value); } while (0)

/* kernel/printk.c: formats into a buffer and writes it with one rep outsb to port 0xE9. */
int printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int sprintf(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void *memset(void *s, int c, unsigned long n);
void *memcpy(void *d, const void *s, unsigned long n);

/* arch/i386/kernel/process.c: the end of a run (kstep stops at hlt with IF clear). */
static inline void __attribute__((noreturn)) machine_halt(void)
{
    for (;;) __asm__ volatile("cli; hlt");
}

#endif
