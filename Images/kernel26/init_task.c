/* arch/i386/kernel/init_task.c: the boot task (pid 0, "swapper") on init_thread_union at 0x015fa000. */
#include "kernel26.h"

static struct fs_struct init_fs = { 1, 0 };
static struct files_struct init_files = { 1, 0 };
static struct sighand_struct init_sighand = { 1, 0 };

union thread_union init_thread_union __attribute__((section(".thread_union"), aligned(THREAD_SIZE)));
task_t init_task = {
    .state = TASK_RUNNING,
    .thread_info = &init_thread_union.thread_info,
    .pid = 0,
    .comm = "swapper",
    .tasks = LIST_HEAD_INIT(init_task.tasks),
    .mm = 0,
    .children = LIST_HEAD_INIT(init_task.children),
    .sibling = LIST_HEAD_INIT(init_task.sibling),
    .fs = &init_fs,
    .files = &init_files,
    .sighand = &init_sighand,
    .parent = &init_task,
    .thread = { .esp0 = (unsigned long)&init_thread_union + THREAD_SIZE },
};

/* The first lines of start_kernel: thread_info names its task, the run queue exists. */
void init_task_setup(void)
{
    init_thread_union.thread_info.task = &init_task;
    sched_init();
}
