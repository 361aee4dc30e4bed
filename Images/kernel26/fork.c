/*
 * kernel_thread (arch/i386/kernel/process.c), do_fork and copy_process
 * (kernel/fork.c), do_exit (kernel/exit.c), 2.6.11 reduced to what the images
 * show: a new task_struct and thread_union, the child's pt_regs at the top
 * of its kernel stack, thread.esp/eip pointing at them and at ret_from_fork,
 * the clone flags deciding which of mm, fs, files and sighand are shared.
 */
#include "kernel26.h"

#define X86_EFLAGS_IF 0x200
#define X86_EFLAGS_SF 0x80
#define X86_EFLAGS_PF 0x04

extern char ret_from_fork[], kernel_thread_helper[];
static int last_pid;
static int tasks_allocated = 1;         /* init_task is the first */

/* Resources a clone without the sharing flag gets a copy of (the slab caches, as a pool). */
static struct mm_struct mm_pool[8];
static struct fs_struct fs_pool[8];
static struct files_struct files_pool[8];
static struct sighand_struct sighand_pool[8];
static int mm_used, fs_used, files_used, sighand_used;

static task_t *dup_task_struct(task_t *orig)
{
    if (tasks_allocated > task_pool_size) return 0;
    task_t *tsk = task_pool[tasks_allocated - 1];
    union thread_union *ti = thread_union_pool[tasks_allocated - 1];
    tasks_allocated++;
    *tsk = *orig;
    ti->thread_info = *orig->thread_info;
    tsk->thread_info = &ti->thread_info;
    ti->thread_info.task = tsk;
    return tsk;
}

/* arch/i386/kernel/process.c: copy_thread */
static void copy_thread(unsigned long esp, task_t *p, struct pt_regs *regs)
{
    struct pt_regs *childregs = (struct pt_regs *)((unsigned long)p->thread_info + THREAD_SIZE) - 1;
    *childregs = *regs;
    childregs->eax = 0;
    childregs->esp = esp;
    p->thread.esp = (unsigned long)childregs;
    p->thread.esp0 = (unsigned long)(childregs + 1);
    p->thread.eip = (unsigned long)ret_from_fork;
}

static task_t *copy_process(unsigned long clone_flags, unsigned long stack_start, struct pt_regs *regs)
{
    task_t *p = dup_task_struct(current);
    if (!p) return 0;
    p->pid = ++last_pid;
    p->run_list.next = p->run_list.prev = 0;
    p->nvcsw = p->nivcsw = 0;
    p->exit_signal = clone_flags & CSIGNAL;
    if (clone_flags & CLONE_FILES) { if (p->files) p->files->count++; }
    else { p->files = &files_pool[files_used]; p->files->count = 1; p->files->id = ++files_used; }
    if (clone_flags & CLONE_FS) { if (p->fs) p->fs->count++; }
    else { p->fs = &fs_pool[fs_used]; p->fs->count = 1; p->fs->id = ++fs_used; }
    if (clone_flags & CLONE_SIGHAND) { if (p->sighand) p->sighand->count++; }
    else { p->sighand = &sighand_pool[sighand_used]; p->sighand->count = 1; p->sighand->id = ++sighand_used; }
    if (clone_flags & CLONE_VM) { if (p->mm) p->mm->mm_users++; }   /* a kernel thread's parent may have none */
    else if (current->mm) { p->mm = &mm_pool[mm_used]; p->mm->mm_users = 1; p->mm->id = ++mm_used; }
    copy_thread(stack_start, p, regs);
    p->parent = current;
    INIT_LIST_HEAD(&p->children);
    list_add_tail(&p->sibling, &current->children);
    list_add_tail(&p->tasks, &init_task.tasks);         /* SET_LINKS */
    return p;
}

long do_fork(unsigned long clone_flags, unsigned long stack_start, struct pt_regs *regs, unsigned long stack_size)
{
    (void)stack_size;
    struct completion vfork;
    task_t *p = copy_process(clone_flags, stack_start, regs);
    if (!p) return -11;                 /* -EAGAIN */
    long pid = p->pid;
    p->vfork_done = 0;
    if (clone_flags & CLONE_VFORK) {
        p->vfork_done = &vfork;
        vfork.done = 0;
        init_waitqueue_head(&vfork.wait);
    }
    wake_up_new_task(p, clone_flags);
    if (clone_flags & CLONE_VFORK)
        wait_for_completion(&vfork);    /* the parent sleeps until the child exits (or execs) */
    return pid;
}

int kernel_thread(int (*fn)(void *), void *arg, unsigned long flags)
{
    struct pt_regs regs;
    memset(&regs, 0, sizeof(regs));
    regs.ebx = (unsigned long)fn;
    regs.edx = (unsigned long)arg;
    regs.xds = __USER_DS;
    regs.xes = __USER_DS;
    regs.orig_eax = -1;
    regs.eip = (unsigned long)kernel_thread_helper;
    regs.xcs = __KERNEL_CS;
    regs.eflags = X86_EFLAGS_IF | X86_EFLAGS_SF | X86_EFLAGS_PF | 0x2;
    /* Ok, create the new process.. */
    return do_fork(flags | CLONE_VM | CLONE_UNTRACED, 0, &regs, 0);
}

/* do_exit: the task becomes a zombie until its parent waits for it (nobody does here). */
void do_exit(long code)
{
    task_t *tsk = current;
    tsk->exit_code = code;
    if (tsk->vfork_done) {              /* mm_release: a vfork parent may go on */
        complete(tsk->vfork_done);
        tsk->vfork_done = 0;
    }
    tsk->state = TASK_ZOMBIE;           /* exit_notify */
    schedule();
    for (;;) ;                          /* a zombie never runs again */
}
