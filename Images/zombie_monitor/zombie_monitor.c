/*
 * The seeds' zombie monitor (Dinesh Ahuja, "Linux Kernel Series: Linux
 * Kernel Threads"), reproduced on the kernel26 kernel with the PIT ticking.
 *
 * swapper first runs the seeds' test program as the task Example10_3: it
 * forks a child that exits at once, is not waited for and stays a zombie
 * (TASK_ZOMBIE, the seeds' "State = 8"), and the parent sleeps
 * (sleep(120): schedule_timeout(120*HZ) in TASK_INTERRUPTIBLE). Then it
 * starts the monitor as the seeds do, kernel_thread(print_taskinfo, NULL, 0),
 * and idles in cpu_idle.
 *
 * print_taskinfo is the seeds' code: it prints the two banner lines, renames
 * itself MyTask, sets TASK_INTERRUPTIBLE once, and loops printing every task
 * with the seeds' format and calling schedule_timeout(30*HZ). The first
 * call sleeps: the timer_list with process_timeout goes on the timer list,
 * schedule() takes the task off the run queue, the PIT interrupt advances
 * jiffies until run_timer_list fires process_timeout -> wake_up_process.
 * That leaves the task TASK_RUNNING, and the seeds' loop never sets
 * TASK_INTERRUPTIBLE again: the second call is the seeds' note — without
 * TASK_INTERRUPTIBLE schedule() leaves the task on the run queue and
 * schedule_timeout returns at once. kstep's additions print what each
 * schedule_timeout returned and halt the machine after that second call.
 *
 * HZ is 10 here (2.6 i386 uses 1000, or 100 or 250 by configuration): 30*HZ
 * is then 300 timer interrupts instead of 30,000, and the golden trace stays
 * a few megabytes. The PIT is programmed with timer_irq's count of 4, not
 * LATCH (119318, more than its 16 bits hold): a jiffy is 3,352 ns of kstep's
 * virtual time instead of 100 ms, so the "30 seconds" pass in 1 ms of
 * virtual time. (With a 50 ms tick, HZ 20, the idle loop's hlt wakes about
 * once a virtual millisecond without an interrupt and 30*HZ costs 1.7
 * million instructions.) Jiffies, timers and the interrupt path are the
 * same either way.
 */
#include "kernel26.h"
#define NULL ((void *)0)

TASK_SLOT(t01); TASK_SLOT(t02); TASK_SLOT(t03);
union thread_union *const thread_union_pool[] = { &t01_thread_union, &t02_thread_union, &t03_thread_union };
task_t *const task_pool[] = { &t01_task, &t02_task, &t03_task };
const int task_pool_size = sizeof(task_pool) / sizeof(task_pool[0]);

#define for_each_process(p) \
    for (p = &init_task; (p = list_entry((p)->tasks.next, struct task_struct, tasks)) != &init_task; )

/* What the run leaves for the expectations. */
unsigned long monitor_passes;
long timeout_left[2];
unsigned long timeout_jiffies[2];

static int print_taskinfo(void *data)
{
    (void)data;
    printk("<1>::Inside Thread Function::\n");
    printk("Kernel Thread::Current Process is \"%s \" (pid: %i) \n",
    current->comm,current->pid);
    sprintf(current->comm,"MyTask" );
    set_current_state(TASK_INTERRUPTIBLE);
    void * sZombie = kmalloc(10 * sizeof(char), GFP_KERNEL);
    memset(sZombie,'\0', 10 * sizeof(char));
    // Not very clear who will clean up a temporary memory allocated for
    // string literals "ZOMBIE" & "NON-ZOMBIE"...
    memcpy(sZombie, "ZOMBIE", 7);
    void * sNonZombie = kmalloc(15 * sizeof(char), GFP_KERNEL);
    memset(sNonZombie,'\0', 15 * sizeof(char));
    memcpy(sNonZombie, "NON-ZOMBIE", 12);
    struct task_struct *p ;
    printk("<1>Starting Iteration\n");
    for (;;)
    {
        for_each_process(p) {
        // Iterating each element of task list.
            printk ("Task List::Process PID = %i,::PPID = %i,::State = %ld ::Zombie=%s\n",
                    p->pid,p->parent->pid,p->state, (p->state == TASK_ZOMBIE)? (char*)sZombie :
                    (char*)sNonZombie);
        }
        /* kstep: which state schedule_timeout starts from, and what it returns. */
        long state = current->state;
        unsigned long before = jiffies;
        long left = schedule_timeout(30*HZ); // sleep for 30 seconds.
        timeout_left[monitor_passes] = left;
        timeout_jiffies[monitor_passes] = jiffies - before;
        printk("<1>schedule_timeout(30*HZ) from state %ld returned %ld after %lu jiffies (jiffies=%lu)\n",
               state, left, jiffies - before, jiffies);
        if (++monitor_passes == 2) {
            printk("<1>the loop never sets TASK_INTERRUPTIBLE again: it would spin from here\n");
            machine_halt();
        }
    }
    // Release memory allocated via kmalloc.
    kfree(sZombie);
    kfree(sNonZombie);
    printk("<1> Exiting Thread Function::");
    return 0;
}

/* The seeds' test program: "if ((pid = fork()) < 0) exit(1); else if (pid == 0) exit(0); sleep(120); exit(0);" */
static int zombie_child(void *data)
{
    (void)data;
    return 0;                           /* exit(0): kernel_thread_helper calls do_exit */
}

static int example_main(void *data)
{
    (void)data;
    sprintf(current->comm, "Example10_3");
    /* fork(): clone(SIGCHLD); kernel_thread adds CLONE_VM | CLONE_UNTRACED */
    if (kernel_thread(zombie_child, 0, SIGCHLD) < 0)
        return 1;
    set_current_state(TASK_INTERRUPTIBLE);
    schedule_timeout(120*HZ);           /* sleep(120) */
    return 0;
}

void start_kernel(void)
{
    init_task_setup();
    time_init();
    kernel_thread(example_main, 0, SIGCHLD);
    schedule();                         /* Example10_3 forks, its child exits, it sleeps */
    kernel_thread((int (*)(void *))print_taskinfo,NULL, 0);
    cpu_idle();
}
