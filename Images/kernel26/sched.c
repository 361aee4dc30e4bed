/*
 * kernel/sched.c and kernel/wait.c (2.6.11), for one CPU: a FIFO run queue
 * instead of the O(1) priority arrays, the rest as 2.6 writes it —
 * try_to_wake_up, wake_up_process, default_wake_function, schedule with
 * deactivate_task and switch_to, add_wait_queue(_exclusive),
 * remove_wait_queue, and the seeds' sleep_on and wake_up.
 */
#include "kernel26.h"

struct runqueue runqueue;

void sched_init(void)
{
    struct runqueue *rq = &runqueue;
    INIT_LIST_HEAD(&rq->queue);
    rq->curr = rq->idle = &init_task;
}

/* Adds p to the run queue (2.6: enqueue_task into the active array). */
static void activate_task(task_t *p, struct runqueue *rq)
{
    list_add_tail(&p->run_list, &rq->queue);
    rq->nr_running++;
}

static void deactivate_task(task_t *p, struct runqueue *rq)
{
    rq->nr_running--;
    list_del(&p->run_list);
}

/*
 * try_to_wake_up: a task sleeping in one of the states in `state` goes back
 * on the run queue as TASK_RUNNING; returns 1 when it was woken.
 */
static int try_to_wake_up(task_t *p, unsigned int state, int sync)
{
    struct runqueue *rq = &runqueue;
    unsigned long flags;
    int success = 0;
    (void)sync;
    local_irq_save(flags);
    rq->ttwu_cnt++;
    if (!(p->state & state))
        goto out;
    if (p->run_list.next)               /* 2.6: if (p->array) — still queued */
        goto out_running;
    activate_task(p, rq);
    rq->ttwu_woken++;
    if (rq->curr == rq->idle)
        rq->idle->thread_info->flags |= _TIF_NEED_RESCHED;     /* resched_task(rq->idle) */
    success = 1;
out_running:
    p->state = TASK_RUNNING;
out:
    local_irq_restore(flags);
    return success;
}

int fastcall wake_up_process(task_t *p)
{
    return try_to_wake_up(p, TASK_STOPPED | TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE, 0);
}

/* A new task is TASK_RUNNING on the run queue; the scheduler picks it when its turn comes. */
void fastcall wake_up_new_task(task_t *p, unsigned long clone_flags)
{
    (void)clone_flags;
    p->state = TASK_RUNNING;
    activate_task(p, &runqueue);
    if (runqueue.curr == runqueue.idle)
        runqueue.idle->thread_info->flags |= _TIF_NEED_RESCHED;     /* the new task preempts the idle task */
}

int default_wake_function(wait_queue_t *curr, unsigned mode, int sync, void *key)
{
    (void)key;
    return try_to_wake_up(curr->task, mode, sync);
}

/* arch/i386/kernel/process.c: the TSS is not used by these ring-0 images; __switch_to returns prev. */
fastcall task_t *__switch_to(task_t *prev_p, task_t *next_p)
{
    (void)next_p;
    return prev_p;
}

void schedule_tail(task_t *prev)
{
    (void)prev;
    local_irq_enable();                 /* finish_task_switch's unlock of the run queue */
}

/* schedule(): a task that is no longer TASK_RUNNING leaves the run queue; the next runnable one runs. */
void __attribute__((noinline)) schedule(void)
{
    struct runqueue *rq = &runqueue;
    task_t *prev = current, *next;
    unsigned long flags;

    local_irq_save(flags);
    rq->sched_cnt++;
    if (prev->state) {
        if (prev->run_list.next)
            deactivate_task(prev, rq);
    } else if (prev != rq->idle && prev->run_list.next) {
        list_del(&prev->run_list);      /* round robin: to the back of the queue */
        list_add_tail(&prev->run_list, &rq->queue);
    }
    next = list_empty(&rq->queue) ? rq->idle : list_entry(rq->queue.next, task_t, run_list);
    prev->thread_info->flags &= ~_TIF_NEED_RESCHED;
    if (prev != next) {
        rq->nr_switches++;
        if (prev->state) prev->nvcsw++; else prev->nivcsw++;
        rq->curr = next;
        switch_to(prev, next, prev);
    }
    local_irq_restore(flags);
}

/* kernel/wait.c */
void __attribute__((noinline)) fastcall add_wait_queue(wait_queue_head_t *q, wait_queue_t *wait)
{
    unsigned long flags;
    wait->flags &= ~WQ_FLAG_EXCLUSIVE;
    spin_lock_irqsave(&q->lock, flags);
    list_add(&wait->task_list, &q->task_list);          /* __add_wait_queue: at the front */
    spin_unlock_irqrestore(&q->lock, flags);
}

void __attribute__((noinline)) fastcall add_wait_queue_exclusive(wait_queue_head_t *q, wait_queue_t *wait)
{
    unsigned long flags;
    wait->flags |= WQ_FLAG_EXCLUSIVE;
    spin_lock_irqsave(&q->lock, flags);
    list_add_tail(&wait->task_list, &q->task_list);     /* __add_wait_queue_tail: at the back */
    spin_unlock_irqrestore(&q->lock, flags);
}

void __attribute__((noinline)) fastcall remove_wait_queue(wait_queue_head_t *q, wait_queue_t *wait)
{
    unsigned long flags;
    spin_lock_irqsave(&q->lock, flags);
    list_del(&wait->task_list);
    spin_unlock_irqrestore(&q->lock, flags);
}

/* The seeds' wake_up, with __wake_up's lock around it. */
void wake_up(wait_queue_head_t *q)
{
    struct list_head *tmp;
    wait_queue_t *curr;
    unsigned long flags;
    spin_lock_irqsave(&q->lock, flags);
    list_for_each(tmp, &q->task_list) {
        curr = list_entry(tmp, wait_queue_t, task_list);
        if (curr->func(curr, TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE, 0, 0) && curr->flags)
            break;
    }
    spin_unlock_irqrestore(&q->lock, flags);
}

/* The seeds' sleep_on. */
void sleep_on(wait_queue_head_t *wq)
{
    wait_queue_t wait;
    init_waitqueue_entry(&wait, current);
    current->state = TASK_UNINTERRUPTIBLE;
    add_wait_queue(wq, &wait);          /* wq points to the wait queue head */
    schedule();
    remove_wait_queue(wq, &wait);
}

/*
 * sleep_on with add_wait_queue_exclusive. 2.6 has no helper of this name:
 * wait_event_interruptible_exclusive does the same with prepare_to_wait_exclusive.
 */
void sleep_on_exclusive(wait_queue_head_t *wq)
{
    wait_queue_t wait;
    init_waitqueue_entry(&wait, current);
    current->state = TASK_UNINTERRUPTIBLE;
    add_wait_queue_exclusive(wq, &wait);
    schedule();
    remove_wait_queue(wq, &wait);
}

/*
 * arch/i386/kernel/process.c: cpu_idle and default_idle. Interrupts go off
 * while it decides to sleep; safe_halt's sti; hlt leaves no window for the
 * interrupt that ends the wait.
 */
void __attribute__((noreturn)) cpu_idle(void)
{
    for (;;) {
        while (!(current_thread_info()->flags & _TIF_NEED_RESCHED)) {
            local_irq_disable();
            if (!(current_thread_info()->flags & _TIF_NEED_RESCHED))
                safe_halt();
            else
                local_irq_enable();
        }
        schedule();
    }
}

/* kernel/sched.c: wait_for_completion sleeps exclusively on the completion's queue until done. */
void wait_for_completion(struct completion *x)
{
    if (!x->done) {
        wait_queue_t wait;
        init_waitqueue_entry(&wait, current);
        wait.flags |= WQ_FLAG_EXCLUSIVE;
        add_wait_queue_exclusive(&x->wait, &wait);
        do {
            __set_current_state(TASK_UNINTERRUPTIBLE);
            schedule();
        } while (!x->done);
        remove_wait_queue(&x->wait, &wait);
    }
    x->done--;
}

void complete(struct completion *x)
{
    x->done++;
    wake_up(&x->wait);
}

/* kernel/pid.c, as a walk of the task list. */
task_t *find_task_by_pid(int pid)
{
    struct list_head *tmp;
    list_for_each(tmp, &init_task.tasks) {
        task_t *p = list_entry(tmp, task_t, tasks);
        if (p->pid == pid) return p;
    }
    return 0;
}
