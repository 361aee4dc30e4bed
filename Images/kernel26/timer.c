/*
 * kernel/timer.c for the seeds' schedule_timeout: timer_list entries on one
 * list (the seeds: "added into a global list of timers on FIFO basis"), the
 * timer interrupt's do_timer advancing jiffies, run_timer_list calling each
 * expired timer's function (through call_timer_fn, as later 2.6 kernels
 * name it), and process_timeout -> wake_up_process.
 */
#include "kernel26.h"

volatile unsigned long jiffies;
static struct list_head timer_list_head = LIST_HEAD_INIT(timer_list_head);
unsigned long timers_added, timers_expired;

void init_timer(struct timer_list *timer)
{
    timer->list.next = timer->list.prev = 0;
}

void __attribute__((noinline)) fastcall add_timer(struct timer_list *timer)
{
    unsigned long flags;
    local_irq_save(flags);
    list_add_tail(&timer->list, &timer_list_head);
    timers_added++;
    local_irq_restore(flags);
}

int __attribute__((noinline)) fastcall del_timer(struct timer_list *timer)
{
    unsigned long flags;
    int pending = timer->list.next != 0;
    local_irq_save(flags);
    if (pending) list_del(&timer->list);
    local_irq_restore(flags);
    return pending;
}

void __attribute__((noinline)) fastcall call_timer_fn(struct timer_list *timer, void (*fn)(unsigned long),
                                                             unsigned long data)
{
    (void)timer;
    timers_expired++;
    fn(data);
}

/* Runs every timer whose time has come (the seeds' TIMER_BH bottom half). */
void run_timer_list(void)
{
    struct list_head *tmp = timer_list_head.next;
    while (tmp != &timer_list_head) {
        struct timer_list *timer = list_entry(tmp, struct timer_list, list);
        tmp = tmp->next;
        if ((long)(jiffies - timer->expires) >= 0) {
            void (*fn)(unsigned long) = timer->function;
            unsigned long data = timer->data;
            list_del(&timer->list);
            call_timer_fn(timer, fn, data);
        }
    }
}

/* The seeds' process_timeout. */
static void process_timeout(unsigned long __data)
{
    wake_up_process((task_t *)__data);
}

/* schedule_timeout (2.6.11), without the MAX_SCHEDULE_TIMEOUT and negative cases the images do not use. */
signed long fastcall schedule_timeout(signed long timeout)
{
    struct timer_list timer;
    unsigned long expire = timeout + jiffies;

    init_timer(&timer);
    timer.expires = expire;
    timer.data = (unsigned long)current;
    timer.function = process_timeout;

    add_timer(&timer);
    schedule();
    del_timer(&timer);

    timeout = expire - jiffies;
    return timeout < 0 ? 0 : timeout;
}
