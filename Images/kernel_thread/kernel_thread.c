/*
 * kernel_thread and clone (arch/i386/kernel/process.c, kernel/fork.c):
 * kernel_thread(fn, arg, flags) fills a pt_regs (ebx fn, edx arg, eip
 * kernel_thread_helper, cs __KERNEL_CS) and calls do_fork(flags | CLONE_VM |
 * CLONE_UNTRACED); copy_process takes a new task_struct and thread_union,
 * copies the parent's, puts the child's pt_regs at the top of its kernel
 * stack (eax 0), points thread.esp at them and thread.eip at ret_from_fork;
 * wake_up_new_task makes it TASK_RUNNING on the run queue.
 *
 * swapper (pid 0, no mm) starts a kernel thread with CLONE_KERNEL: its mm is
 * NULL. Then "init" (pid 2), which gets an mm as exec would give it, makes
 * the seeds' three clones — fork() = clone(SIGCHLD), vfork() =
 * clone(CLONE_VFORK | CLONE_VM | SIGCHLD), a thread = clone(CLONE_VM |
 * CLONE_FS | CLONE_FILES | CLONE_SIGHAND) — and the console prints which of
 * mm, fs, files and sighand each child shares with its parent. The vfork
 * parent sleeps on a completion until its child exits.
 */
#include "kernel26.h"

TASK_SLOT(t01); TASK_SLOT(t02); TASK_SLOT(t03); TASK_SLOT(t04); TASK_SLOT(t05);
union thread_union *const thread_union_pool[] = {
    &t01_thread_union, &t02_thread_union, &t03_thread_union, &t04_thread_union, &t05_thread_union,
};
task_t *const task_pool[] = { &t01_task, &t02_task, &t03_task, &t04_task, &t05_task };
const int task_pool_size = sizeof(task_pool) / sizeof(task_pool[0]);

static struct mm_struct init_mm_after_exec = { 1, 100 };

/* What the run leaves for the expectations: the first child as copy_process left it. */
unsigned long kthread_esp, kthread_eip, kthread_esp0, kthread_regs_eip, kthread_regs_ebx, kthread_regs_eax;
unsigned long kthread_state, kthread_queued;
unsigned long shared[4];        /* per clone (fork, vfork, thread, kernel thread): bit 0 mm, 1 fs, 2 files, 3 sighand */
unsigned long vfork_parent_resumed_after_child;
static int vfork_child_exited;

static const char *share(const void *child, const void *parent)
{
    return !child ? "NULL" : child == parent ? "shared" : "copied";
}

static unsigned long share_bits(task_t *c, task_t *p)
{
    return (c->mm == p->mm) | (c->fs == p->fs) << 1 | (c->files == p->files) << 2 | (c->sighand == p->sighand) << 3;
}

static void report(const char *how, int pid, int slot)
{
    task_t *p = current, *c = find_task_by_pid(pid);
    if (!c) return;
    shared[slot] = share_bits(c, p);
    printk("%-46s pid %i: mm %s, fs %s, files %s, sighand %s\n", how, pid,
           share(c->mm, p->mm), share(c->fs, p->fs), share(c->files, p->files), share(c->sighand, p->sighand));
}

static int child(void *data)
{
    const char *name = data;
    sprintf(current->comm, "%s", name);
    printk("  %s (pid %i): running, parent %i\n", current->comm, current->pid, current->parent->pid);
    if (name[0] == 'v') vfork_child_exited = 1;
    return 0;
}

static int kthread(void *data)
{
    sprintf(current->comm, "kthread");
    printk("kthread (pid %i): first run, in kernel_thread_helper after ret_from_fork: arg %p, mm %p\n",
           current->pid, data, current->mm);
    return 0;
}

/* A clone with this process's registers: the child starts in kernel_thread_helper with fn and arg. */
static long clone(unsigned long flags, const char *name)
{
    struct pt_regs regs;
    memset(&regs, 0, sizeof(regs));
    regs.ebx = (unsigned long)child;
    regs.edx = (unsigned long)name;
    regs.xds = regs.xes = __USER_DS;
    regs.orig_eax = -1;
    extern char kernel_thread_helper[];
    regs.eip = (unsigned long)kernel_thread_helper;
    regs.xcs = __KERNEL_CS;
    regs.eflags = 0x286;
    return do_fork(flags, 0, &regs, 0);
}

static int init_process(void *data)
{
    (void)data;
    sprintf(current->comm, "init");
    current->mm = &init_mm_after_exec;      /* what execve("/sbin/init") would give it */
    printk("init (pid %i): mm %p after exec\n", current->pid, current->mm);
    report("fork()   = clone(SIGCHLD)", clone(SIGCHLD, "forked"), 0);
    long pid = clone(CLONE_VFORK | CLONE_VM | SIGCHLD, "vforked");
    vfork_parent_resumed_after_child = vfork_child_exited;
    printk("  init: vfork returned %li after its child exited: %s\n", pid, vfork_child_exited ? "yes" : "no");
    report("vfork()  = clone(CLONE_VFORK|CLONE_VM|SIGCHLD)", pid, 1);
    report("thread   = clone(CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND)",
           clone(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND, "thread"), 2);
    return 0;
}

void start_kernel(void)
{
    init_task_setup();
    int pid = kernel_thread(kthread, (void *)0xc0ffee, CLONE_KERNEL);
    task_t *p = find_task_by_pid(pid);
    struct pt_regs *regs = (struct pt_regs *)p->thread.esp;
    kthread_esp = p->thread.esp;
    kthread_eip = p->thread.eip;
    kthread_esp0 = p->thread.esp0;
    kthread_regs_eip = regs->eip;
    kthread_regs_ebx = regs->ebx;
    kthread_regs_eax = regs->eax;
    kthread_state = p->state;
    kthread_queued = p->run_list.next != 0;
    printk("kernel_thread(kthread, 0x00c0ffee, CLONE_KERNEL) -> do_fork(0x%x) = pid %i\n",
           CLONE_KERNEL | CLONE_VM | CLONE_UNTRACED, pid);
    printk("  copy_process: task_struct %p, thread_union %p, pt_regs %p (the union's top - %i)\n",
           p, p->thread_info, regs, (int)sizeof(struct pt_regs));
    printk("  thread.esp %08lx, thread.eip %08lx (ret_from_fork), regs eip %08lx (kernel_thread_helper), eax %ld\n",
           p->thread.esp, p->thread.eip, regs->eip, regs->eax);
    printk("  state %ld (TASK_RUNNING), on the run queue: %s\n", p->state, kthread_queued ? "yes" : "no");
    printk("%-46s pid %i: mm %s, fs %s, files %s, sighand %s\n", "kernel_thread(fn, arg, CLONE_KERNEL)", pid,
           share(p->mm, current->mm), share(p->fs, current->fs), share(p->files, current->files),
           share(p->sighand, current->sighand));
    shared[3] = share_bits(p, current);
    kernel_thread(init_process, 0, 0);
    schedule();                         /* everything runs until only swapper is left */
    printk("swapper: all five children are zombies now; %lu context switches\n", runqueue.nr_switches);
}
