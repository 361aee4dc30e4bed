/*
 * The Linux 2.6 i386 process-management layouts the micro-images reproduce
 * (see ../shared/seeds): thread_info at the bottom of an 8 KB (or 4 KB)
 * thread_union, task_struct with thread_struct at offset 448, and the
 * switch_to / current macros as include/asm-i386 writes them.
 */
#ifndef KSTEP_LINUX26_H
#define KSTEP_LINUX26_H

#ifndef THREAD_SIZE
#define THREAD_SIZE 8192
#endif

#ifndef __ASSEMBLER__

#define offsetof(type, member) __builtin_offsetof(type, member)
#define __stringify_1(x) #x
#define __stringify(x) __stringify_1(x)
#define KSTATIC_ASSERT(condition, message) _Static_assert(condition, message)

struct task_struct;
struct exec_domain;

struct restart_block {
    long (*fn)(struct restart_block *);
    unsigned long arg0, arg1, arg2, arg3;
};

/* include/asm-i386/thread_info.h: 52 bytes at the lowest address of the union. */
struct thread_info {
    struct task_struct *task;          /* 0 */
    struct exec_domain *exec_domain;   /* 4 */
    unsigned long flags;               /* 8 */
    unsigned long status;              /* 12 */
    unsigned int cpu;                  /* 16 */
    int preempt_count;                 /* 20 */
    unsigned long addr_limit;          /* 24 */
    struct restart_block restart_block;/* 28 */
    unsigned long previous_esp;        /* 48 */
    unsigned char supervisor_stack[0]; /* 52 */
};
KSTATIC_ASSERT(sizeof(struct thread_info) == 52, "thread_info is 52 bytes");
KSTATIC_ASSERT(offsetof(struct thread_info, cpu) == 16, "thread_info.cpu at 16");

union thread_union {
    struct thread_info thread_info;
    unsigned long stack[THREAD_SIZE / sizeof(long)];
};

struct desc_struct { unsigned long a, b; };

struct list_head { struct list_head *next, *prev; };

/*
 * include/asm-i386/processor.h: the FPU state a task keeps while it is not
 * on the CPU, in fnsave's layout (108 bytes) or fxsave's (512 bytes, 16-byte
 * aligned); __unlazy_fpu picks one by cpu_has_fxsr. (2.6's i387_union also
 * holds the math emulator's i387_soft_struct; the images do not emulate.)
 */
struct i387_fsave_struct {
    long cwd;
    long swd;
    long twd;
    long fip;
    long fcs;
    long foo;
    long fos;
    long st_space[20];  /* 8 registers, 10 bytes each */
    long status;        /* software status information */
};

struct i387_fxsave_struct {
    unsigned short cwd;
    unsigned short swd;
    unsigned short twd;
    unsigned short fop;
    long fip;
    long fcs;
    long foo;
    long fos;
    long mxcsr;
    long reserved;
    long st_space[32];  /* 8 registers, 16 bytes each */
    long xmm_space[32]; /* 8 XMM registers, 16 bytes each */
    long padding[56];
} __attribute__((aligned(16)));

union i387_union {
    struct i387_fsave_struct fsave;
    struct i387_fxsave_struct fxsave;
};
KSTATIC_ASSERT(sizeof(struct i387_fsave_struct) == 112, "fsave: the 108-byte image and a status word");
KSTATIC_ASSERT(sizeof(union i387_union) == 512, "i387_union is fxsave's 512 bytes");

/* include/asm-i386/processor.h, at offset 448 of task_struct. */
struct thread_struct {
    struct desc_struct tls_array[3];   /* 448 */
    unsigned long esp0;                /* 472 */
    unsigned long sysenter_cs;         /* 476 */
    unsigned long eip;                 /* 480 */
    unsigned long esp;                 /* 484 */
    unsigned long fs;                  /* 488 */
    unsigned long gs;                  /* 492 */
    unsigned long debugreg[8];         /* 496 */
    unsigned long cr2, trap_no, error_code;
    union i387_union i387;             /* 544 */
    unsigned long *io_bitmap_ptr;
    unsigned long io_bitmap_max;
};

/*
 * include/linux/sched.h task states. TASK_ZOMBIE is 8 and TASK_DEAD 16 as in
 * 2.6.0-2.6.10, the kernels the seeds' zombie monitor ran on ("State = 8
 * ::Zombie=ZOMBIE"); 2.6.11 renamed them EXIT_ZOMBIE/EXIT_DEAD (16/32).
 */
#define TASK_RUNNING 0
#define TASK_INTERRUPTIBLE 1
#define TASK_UNINTERRUPTIBLE 2
#define TASK_STOPPED 4
#define TASK_ZOMBIE 8
#define TASK_DEAD 16

struct mm_struct;
struct fs_struct;
struct files_struct;
struct sighand_struct;
struct completion;

struct task_struct {
    volatile long state;               /* 0 */
    struct thread_info *thread_info;   /* 4 */
    int pid;                           /* 8 */
    char comm[16];                     /* 12 */
    struct list_head tasks;            /* 28: for_each_process */
    struct mm_struct *mm;              /* 36: NULL for kernel threads */
    unsigned long flags;               /* 40 */
    int used_math;                     /* 44 */
    struct list_head run_list;         /* 48: on the run queue (next NULL when not) */
    struct task_struct *parent;        /* 56 */
    struct list_head children;         /* 60 */
    struct list_head sibling;          /* 68 */
    struct fs_struct *fs;              /* 76 */
    struct files_struct *files;        /* 80 */
    struct sighand_struct *sighand;    /* 84 */
    int exit_code;                     /* 88 */
    int exit_signal;                   /* 92 */
    unsigned long nvcsw, nivcsw;       /* 96, 100: voluntary and involuntary context switches */
    struct completion *vfork_done;     /* 104: for vfork() */
    unsigned char reserved[448 - 108];
    struct thread_struct thread;       /* 448 */
};
KSTATIC_ASSERT(offsetof(struct task_struct, run_list) == 48, "run_list at 48");
KSTATIC_ASSERT(offsetof(struct task_struct, parent) == 56, "parent at 56");
KSTATIC_ASSERT(offsetof(struct task_struct, fs) == 76, "fs at 76");
KSTATIC_ASSERT(offsetof(struct task_struct, nvcsw) == 96, "nvcsw at 96");
typedef struct task_struct task_t;
KSTATIC_ASSERT(offsetof(struct task_struct, thread) == 448, "thread at 448");
KSTATIC_ASSERT(offsetof(struct task_struct, thread.esp0) == 472, "thread.esp0 at 472");
KSTATIC_ASSERT(offsetof(struct task_struct, thread.eip) == 480, "thread.eip at 480");
KSTATIC_ASSERT(offsetof(struct task_struct, thread.esp) == 484, "thread.esp at 484");
KSTATIC_ASSERT(offsetof(struct task_struct, thread.fs) == 488, "thread.fs at 488");
KSTATIC_ASSERT(offsetof(struct task_struct, thread.gs) == 492, "thread.gs at 492");
KSTATIC_ASSERT(offsetof(struct task_struct, thread.debugreg) == 496, "thread.debugreg at 496");
KSTATIC_ASSERT(offsetof(struct task_struct, thread.i387) == 544, "thread.i387 at 544");

/* include/asm-i386/current.h and thread_info.h */
static inline struct thread_info *current_thread_info(void)
{
    struct thread_info *ti;
    __asm__("andl %%esp,%0; " : "=r" (ti) : "0" (~(THREAD_SIZE - 1)));
    return ti;
}

static inline struct task_struct *get_current(void)
{
    return current_thread_info()->task;
}
#define current get_current()

/*
 * include/asm-i386/system.h (2.6.11), with one correction: 2.6.11 declares
 * only %esi and %edi clobbered, relying on every task switching from the
 * same point in schedule(). A modern gcc -O2 keeps other values in %ebx,
 * %ecx and %edx across the asm (and __switch_to, regparm(3), may clobber
 * %ecx and %edx), so here they are outputs too, as in 2.6.25 and later.
 * kstep's own trace caught this: task B resumed with task A's loop counter.
 */
#define switch_to(prev, next, last) do {                                \
    unsigned long ebx, esi, edi, edx, ecx;                                   \
    __asm__ volatile("pushfl\n\t"                                       \
                     "pushl %%ebp\n\t"                                  \
                     "movl %%esp,%0\n\t"        /* save ESP */          \
                     "movl %8,%%esp\n\t"        /* restore ESP */       \
                     "movl $1f,%1\n\t"          /* save EIP */          \
                     "pushl %9\n\t"             /* restore EIP */       \
                     "jmp __switch_to\n"                                \
                     "1:\t"                                             \
                     "popl %%ebp\n\t"                                   \
                     "popfl"                                            \
                     : "=m" (prev->thread.esp), "=m" (prev->thread.eip), \
                       "=a" (last), "=S" (esi), "=D" (edi),             \
                       "=d" (edx), "=c" (ecx), "=b" (ebx)               \
                     : "m" (next->thread.esp), "m" (next->thread.eip),  \
                       "2" (prev), "5" (next)                           \
                     : "memory", "cc");                                 \
    (void)ebx; (void)esi; (void)edi; (void)edx; (void)ecx;              \
} while (0)

#define fastcall __attribute__((regparm(3)))

/* include/asm-i386/segment.h */
#define GDT_ENTRY_TLS_MIN 6
#define GDT_ENTRY_TLS_ENTRIES 3
#define __KERNEL_CS 0x60
#define __KERNEL_DS 0x68
#define __USER_CS 0x73
#define __USER_DS 0x7b
#define GDT_ENTRY_TSS 16
#define GDT_ENTRIES 32

/* include/asm-i386/thread_info.h: thread_info->status */
#define TS_USEDFPU 0x0001

/* include/linux/sched.h: clone flags */
#define CLONE_VM 0x00000100
#define CLONE_FS 0x00000200
#define CLONE_FILES 0x00000400
#define CLONE_SIGHAND 0x00000800
#define CLONE_UNTRACED 0x00800000
#define CLONE_KERNEL (CLONE_FS | CLONE_FILES | CLONE_SIGHAND)

/* include/asm-i386/ptrace.h: the registers saved on kernel entry. */
struct pt_regs {
    long ebx, ecx, edx, esi, edi, ebp, eax;
    int xds, xes;
    long orig_eax, eip;
    int xcs;
    long eflags, esp;
    int xss;
};

/* include/asm-i386/system.h (with "mov", which current GNU as requires for a
 * memory operand): segment loads with an exception-table fix-up
 * that loads 0 when the selector faults. */
#define loadsegment(seg, value)                         \
    __asm__ volatile("\n"                               \
                     "1:\t"                             \
                     "mov %0,%%" #seg "\n"              \
                     "2:\n"                             \
                     ".section .fixup,\"ax\"\n"         \
                     "3:\t"                             \
                     "pushl $0\n\t"                     \
                     "popl %%" #seg "\n\t"               \
                     "jmp 2b\n"                         \
                     ".previous\n"                      \
                     ".section __ex_table,\"a\"\n\t"    \
                     ".align 4\n\t"                     \
                     ".long 1b,3b\n"                    \
                     ".previous"                        \
                     : : "m" (*(unsigned int *)&(value)))

#define savesegment(seg, value) \
    __asm__ volatile("mov %%" #seg ",%0" : "=m" (value))

#define get_debugreg(var, register) \
    __asm__ volatile("movl %%db" #register ", %0" : "=r" (var))
#define set_debugreg(value, register) \
    __asm__ volatile("movl %0, %%db" #register : : "r" (value))

static inline void clts(void) { __asm__ volatile("clts"); }
static inline unsigned long read_cr0(void)
{
    unsigned long value;
    __asm__ volatile("movl %%cr0, %0" : "=r" (value));
    return value;
}
static inline void write_cr0(unsigned long value) { __asm__ volatile("movl %0, %%cr0" : : "r" (value)); }
#define stts() write_cr0(8 | read_cr0())

/*
 * include/asm-i386/system.h, as the seeds quote it: no "lock" prefix even on
 * SMP, xchg always implies lock anyway. set_task_state and set_current_state
 * go through set_mb, which is xchg (the seeds' "it results in following code").
 */
struct __xchg_dummy { unsigned long a[100]; };
#define __xg(x) ((struct __xchg_dummy *)(x))
static inline unsigned long __xchg(unsigned long x, volatile void *ptr, int size)
{
    switch (size) {
    case 1:
        __asm__ __volatile__("xchgb %b0,%1" : "=q" (x) : "m" (*__xg(ptr)), "0" (x) : "memory");
        break;
    case 2:
        __asm__ __volatile__("xchgw %w0,%1" : "=r" (x) : "m" (*__xg(ptr)), "0" (x) : "memory");
        break;
    case 4:
        __asm__ __volatile__("xchgl %0,%1" : "=r" (x) : "m" (*__xg(ptr)), "0" (x) : "memory");
        break;
    }
    return x;
}
#define xchg(ptr, v) ((__typeof__(*(ptr)))__xchg((unsigned long)(v), (ptr), sizeof(*(ptr))))
#define set_mb(var, value) do { (void)xchg(&var, value); } while (0)
#define set_task_state(tsk, state_value) set_mb((tsk)->state, (state_value))

/* include/linux/sched.h: clone flags the fork images print. */
#define CSIGNAL 0x000000ff
#define CLONE_VFORK 0x00004000
#define SIGCHLD 17

/* include/linux/list.h */
#define LIST_HEAD_INIT(name) { &(name), &(name) }
#define list_entry(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#define list_for_each(pos, head) for (pos = (head)->next; pos != (head); pos = pos->next)
static inline void INIT_LIST_HEAD(struct list_head *list) { list->next = list; list->prev = list; }
static inline void __list_add(struct list_head *new, struct list_head *prev, struct list_head *next)
{
    next->prev = new;
    new->next = next;
    new->prev = prev;
    prev->next = new;
}
static inline void list_add(struct list_head *new, struct list_head *head) { __list_add(new, head, head->next); }
static inline void list_add_tail(struct list_head *new, struct list_head *head) { __list_add(new, head->prev, head); }
static inline void list_del(struct list_head *entry)
{
    entry->next->prev = entry->prev;
    entry->prev->next = entry->next;
    entry->next = 0;    /* 2.6 poisons these (LIST_POISON1/2); 0 here means "on no list" */
    entry->prev = 0;
}
static inline int list_empty(const struct list_head *head) { return head->next == head; }

/* include/asm-i386/spinlock.h (SMP): 1 is unlocked; lock; decb takes it. */
typedef struct { volatile unsigned int slock; } spinlock_t;
#define SPIN_LOCK_UNLOCKED { 1 }
static inline void spin_lock(spinlock_t *lock)
{
    __asm__ volatile("\n1:\t"
                     "lock; decb %0\n\t"
                     "jns 3f\n"
                     "2:\t"
                     "rep; nop\n\t"
                     "cmpb $0,%0\n\t"
                     "jle 2b\n\t"
                     "jmp 1b\n"
                     "3:\n\t"
                     : "+m" (lock->slock) : : "memory");
}
static inline void spin_unlock(spinlock_t *lock)
{
    __asm__ volatile("movb $1,%0" : "+m" (lock->slock) : : "memory");
}
/* include/asm-i386/system.h */
#define local_irq_save(x) __asm__ volatile("pushfl; popl %0; cli" : "=g" (x) : : "memory")
#define local_irq_restore(x) __asm__ volatile("pushl %0; popfl" : : "g" (x) : "memory", "cc")
#define local_irq_disable() __asm__ volatile("cli" : : : "memory")
#define local_irq_enable() __asm__ volatile("sti" : : : "memory")
#define spin_lock_irqsave(lock, flags) do { local_irq_save(flags); spin_lock(lock); } while (0)
#define spin_unlock_irqrestore(lock, flags) do { spin_unlock(lock); local_irq_restore(flags); } while (0)

/* include/linux/wait.h (2.6): the head's lock and list; an entry's flags, task, func and list. */
typedef struct __wait_queue wait_queue_t;
typedef int (*wait_queue_func_t)(wait_queue_t *wait, unsigned mode, int sync, void *key);
struct __wait_queue {
    unsigned int flags;                /* 0 */
#define WQ_FLAG_EXCLUSIVE 0x01
    struct task_struct *task;          /* 4 */
    wait_queue_func_t func;            /* 8 */
    struct list_head task_list;        /* 12 */
};
struct __wait_queue_head {
    spinlock_t lock;                   /* 0 */
    struct list_head task_list;        /* 4 */
};
typedef struct __wait_queue_head wait_queue_head_t;
KSTATIC_ASSERT(sizeof(wait_queue_t) == 20, "wait_queue_t is 20 bytes");
KSTATIC_ASSERT(offsetof(wait_queue_t, task_list) == 12, "wait_queue_t.task_list at 12");
KSTATIC_ASSERT(offsetof(wait_queue_head_t, task_list) == 4, "wait_queue_head_t.task_list at 4");
#define __WAIT_QUEUE_HEAD_INITIALIZER(name) { SPIN_LOCK_UNLOCKED, { &(name).task_list, &(name).task_list } }
#define DECLARE_WAIT_QUEUE_HEAD(name) wait_queue_head_t name = __WAIT_QUEUE_HEAD_INITIALIZER(name)

/* include/linux/timer.h, as the seeds give it. */
struct timer_list {
    struct list_head list;             /* 0 */
    unsigned long expires;             /* 8 */
    unsigned long data;                /* 12 */
    void (*function)(unsigned long);   /* 16 */
};
KSTATIC_ASSERT(offsetof(struct timer_list, function) == 16, "timer_list.function at 16");

/* Port 0xE9: the Bochs/QEMU debug console, kstep's printk. */
static inline void console_putc(char c)
{
    __asm__ volatile("outb %0, $0xe9" : : "a" (c));
}

static inline void console_puts(const char *s)
{
    while (*s) console_putc(*s++);
}

static inline void console_hex(unsigned long value)
{
    for (int shift = 28; shift >= 0; shift -= 4)
        console_putc("0123456789abcdef"[(value >> shift) & 15]);
}

#endif /* __ASSEMBLER__ */
#endif
