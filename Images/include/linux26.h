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

#define TASK_RUNNING 0
#define TASK_INTERRUPTIBLE 1
#define TASK_UNINTERRUPTIBLE 2

struct task_struct {
    volatile long state;               /* 0 */
    struct thread_info *thread_info;   /* 4 */
    int pid;                           /* 8 */
    char comm[16];                     /* 12 */
    struct list_head tasks;            /* 28 */
    void *mm;                          /* 36: NULL for kernel threads */
    unsigned long flags;               /* 40 */
    int used_math;                     /* 44 */
    unsigned char reserved[448 - 48];
    struct thread_struct thread;       /* 448 */
};
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
