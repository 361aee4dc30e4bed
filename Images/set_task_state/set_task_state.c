/*
 * set_task_state and the seeds' __xchg (include/asm-i386/system.h): on SMP
 * set_task_state(tsk, state) is set_mb(tsk->state, state), an xchg — no lock
 * prefix, because xchg with memory always locks the bus. __xchg picks xchgb,
 * xchgw or xchgl by the operand's size; task->state is a long, so
 * set_task_state is xchgl. The image moves one task through the states
 * with each width — xchgb and xchgw change only the low byte or word of
 * state, which every state value fits in — then swapper's own state with
 * set_current_state and __set_current_state (a plain movl). The __xchg
 * steps print the old value xchg returned; the trace shows each write as a
 * task-state event.
 */
#include "kernel26.h"

TASK_SLOT(t01);
union thread_union *const thread_union_pool[] = { &t01_thread_union };
task_t *const task_pool[] = { &t01_task };
const int task_pool_size = 1;

/* Each width of the seeds' __xchg on a task's state, out of line so the trace shows one instruction for each. */
__attribute__((noinline)) unsigned long xchg_state_1(task_t *tsk, unsigned long state)
{
    return __xchg(state, &tsk->state, 1);      /* xchgb %b0,%1 */
}

__attribute__((noinline)) unsigned long xchg_state_2(task_t *tsk, unsigned long state)
{
    return __xchg(state, &tsk->state, 2);      /* xchgw %w0,%1 */
}

__attribute__((noinline)) unsigned long xchg_state_4(task_t *tsk, unsigned long state)
{
    return __xchg(state, &tsk->state, 4);      /* xchgl %0,%1 */
}

/* What the run leaves for the expectations: each step's returned old value and the state after it. */
unsigned long returned[6], after[6];

static int never_runs(void *data) { (void)data; return 0; }

static void show(int step, const char *how, unsigned long old, long now)
{
    returned[step] = old;
    after[step] = now;
    printk("%-44s old %lu, new %ld\n", how, old, now);
}

void start_kernel(void)
{
    init_task_setup();
    int pid = kernel_thread(never_runs, 0, CLONE_KERNEL);
    task_t *tsk = find_task_by_pid(pid);
    sprintf(tsk->comm, "worker");
    printk("set_task_state: task %i (t01_task), state %ld (TASK_RUNNING), sizeof(state) %i\n",
           tsk->pid, tsk->state, (int)sizeof(tsk->state));

    unsigned long old = tsk->state;
    set_task_state(tsk, TASK_INTERRUPTIBLE);
    show(0, "set_task_state(tsk, TASK_INTERRUPTIBLE)", old, tsk->state);
    old = xchg_state_1(tsk, TASK_UNINTERRUPTIBLE);
    show(1, "__xchg(TASK_UNINTERRUPTIBLE, &state, 1)", old, tsk->state);
    old = xchg_state_2(tsk, TASK_STOPPED);
    show(2, "__xchg(TASK_STOPPED, &state, 2)", old, tsk->state);
    old = xchg_state_4(tsk, TASK_RUNNING);
    show(3, "__xchg(TASK_RUNNING, &state, 4)", old, tsk->state);

    old = current->state;
    set_current_state(TASK_UNINTERRUPTIBLE);
    show(4, "set_current_state(TASK_UNINTERRUPTIBLE)", old, current->state);
    old = current->state;
    __set_current_state(TASK_RUNNING);          /* no barrier needed: a plain store */
    show(5, "__set_current_state(TASK_RUNNING)", old, current->state);
}
