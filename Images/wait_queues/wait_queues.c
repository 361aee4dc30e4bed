/*
 * Wait queues as the seeds describe them (include/linux/wait.h,
 * kernel/wait.c, kernel/sched.c of 2.6): a wait_queue_head_t with its lock
 * and task_list, wait_queue_t entries with flags, task and func,
 * add_wait_queue putting non-exclusive sleepers at the front,
 * add_wait_queue_exclusive putting exclusive ones at the back, sleep_on and
 * wake_up exactly as the seeds write them.
 *
 * Part 1: three non-exclusive and two exclusive kernel threads sleep on one
 * queue; one wake_up wakes all three non-exclusive sleepers and exactly one
 * exclusive one; a second wake_up wakes the other exclusive one.
 *
 * Part 2, the thundering herd: four threads wait for a resource that
 * swapper frees four times, once with non-exclusive sleepers (every free
 * wakes every sleeper; one gets it, the rest go back to sleep) and once with
 * exclusive sleepers (every free wakes exactly one). The console counts
 * wake-ups and context switches for both.
 */
#include "kernel26.h"

#define HERD 4

TASK_SLOT(t01); TASK_SLOT(t02); TASK_SLOT(t03); TASK_SLOT(t04); TASK_SLOT(t05);
TASK_SLOT(t06); TASK_SLOT(t07); TASK_SLOT(t08); TASK_SLOT(t09);
TASK_SLOT(t10); TASK_SLOT(t11); TASK_SLOT(t12); TASK_SLOT(t13);
union thread_union *const thread_union_pool[] = {
    &t01_thread_union, &t02_thread_union, &t03_thread_union, &t04_thread_union, &t05_thread_union,
    &t06_thread_union, &t07_thread_union, &t08_thread_union, &t09_thread_union,
    &t10_thread_union, &t11_thread_union, &t12_thread_union, &t13_thread_union,
};
task_t *const task_pool[] = {
    &t01_task, &t02_task, &t03_task, &t04_task, &t05_task, &t06_task, &t07_task,
    &t08_task, &t09_task, &t10_task, &t11_task, &t12_task, &t13_task,
};
const int task_pool_size = sizeof(task_pool) / sizeof(task_pool[0]);

DECLARE_WAIT_QUEUE_HEAD(event_wq);
DECLARE_WAIT_QUEUE_HEAD(herd_wq);

/* What the run leaves for the expectations. */
unsigned long part1_woken_first, part1_woken_second;
unsigned long herd_wakeups[2], herd_switches[2], herd_wasted[2], herd_served[2];
static volatile int resource_free;
static int herd_exclusive;

struct waiter_args { const char *name; int exclusive; };

static int event_waiter(void *data)
{
    struct waiter_args *args = data;
    sprintf(current->comm, "%s", args->name);
    printk("%s (pid %i): sleep_on%s\n", current->comm, current->pid, args->exclusive ? "_exclusive" : "");
    if (args->exclusive) sleep_on_exclusive(&event_wq); else sleep_on(&event_wq);
    printk("%s (pid %i): woken, exits\n", current->comm, current->pid);
    return 0;
}

static int herd_member(void *data)
{
    struct waiter_args *args = data;
    sprintf(current->comm, "%s", args->name);
    for (;;) {
        if (resource_free) {
            resource_free = 0;
            herd_served[herd_exclusive]++;
            printk("  %s gets the resource\n", current->comm);
            return 0;
        }
        if (args->exclusive) sleep_on_exclusive(&herd_wq); else sleep_on(&herd_wq);
        if (!resource_free) {
            herd_wasted[herd_exclusive]++;
            printk("  %s: woken for nothing, back to sleep\n", current->comm);
        }
    }
}

static void show_queue(wait_queue_head_t *q)
{
    struct list_head *tmp;
    printk("wait queue:");
    list_for_each(tmp, &q->task_list) {
        wait_queue_t *curr = list_entry(tmp, wait_queue_t, task_list);
        printk(" %s%s", curr->task->comm, curr->flags & WQ_FLAG_EXCLUSIVE ? "(x)" : "");
    }
    printk("\n");
}

static void herd(int exclusive)
{
    static struct waiter_args args[2][HERD] = {
        { { "herd1", 0 }, { "herd2", 0 }, { "herd3", 0 }, { "herd4", 0 } },
        { { "xherd1", 1 }, { "xherd2", 1 }, { "xherd3", 1 }, { "xherd4", 1 } },
    };
    herd_exclusive = exclusive;
    for (int i = 0; i < HERD; i++) kernel_thread(herd_member, &args[exclusive][i], CLONE_KERNEL);
    schedule();                         /* all four go to sleep */
    unsigned long woken = runqueue.ttwu_woken, switches = runqueue.nr_switches;
    printk("herd: %d %s sleepers\n", HERD, exclusive ? "exclusive" : "non-exclusive");
    for (int i = 0; i < HERD; i++) {
        resource_free = 1;
        wake_up(&herd_wq);
        schedule();
    }
    herd_wakeups[exclusive] = runqueue.ttwu_woken - woken;
    herd_switches[exclusive] = runqueue.nr_switches - switches;
    printk("herd: %s: %lu wake-ups, %lu context switches, %lu woken for nothing\n",
           exclusive ? "exclusive" : "non-exclusive", herd_wakeups[exclusive], herd_switches[exclusive],
           herd_wasted[exclusive]);
}

void start_kernel(void)
{
    static struct waiter_args part1[] = {
        { "reader1", 0 }, { "reader2", 0 }, { "writer1", 1 }, { "reader3", 0 }, { "writer2", 1 },
    };
    init_task_setup();
    printk("wait_queues: wait_queue_t is %d bytes (flags 0, task 4, func 8, task_list 12)\n",
           (int)sizeof(wait_queue_t));
    for (unsigned i = 0; i < sizeof(part1) / sizeof(part1[0]); i++) kernel_thread(event_waiter, &part1[i], CLONE_KERNEL);
    schedule();                         /* swapper is idle: the five run until they sleep */
    show_queue(&event_wq);
    unsigned long woken = runqueue.ttwu_woken;
    printk("wake_up #1\n");
    wake_up(&event_wq);
    part1_woken_first = runqueue.ttwu_woken - woken;
    printk("wake_up #1 woke %lu\n", part1_woken_first);
    schedule();
    show_queue(&event_wq);
    woken = runqueue.ttwu_woken;
    printk("wake_up #2\n");
    wake_up(&event_wq);
    part1_woken_second = runqueue.ttwu_woken - woken;
    printk("wake_up #2 woke %lu\n", part1_woken_second);
    schedule();
    herd(0);
    herd(1);
    printk("wait_queues: %lu context switches, %lu wake-ups in all\n", runqueue.nr_switches, runqueue.ttwu_woken);
}
