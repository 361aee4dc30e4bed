/*
 * Entry code for the switch_to image: boot, ret_from_fork, the system call
 * and exception entries (arch/i386/kernel/entry.S, reduced to what it shows).
 */
#define __KERNEL_CS 0x60
#define __KERNEL_DS 0x68
#define __USER_DS 0x7b

        .section .text.entry
        .globl _start
_start:
        lgdt cpu_gdt_descr
        ljmp $__KERNEL_CS, $1f
1:      movl $__KERNEL_DS, %eax
        movl %eax, %ds
        movl %eax, %es
        movl %eax, %ss
        xorl %eax, %eax
        movl %eax, %fs
        movl %eax, %gs
        movl $a_thread_union + THREAD_SIZE, %esp
        call start_kernel
        hlt                             /* eax: what A's last switch_to returned */

/* SAVE_ALL / RESTORE_ALL, as in 2.6.11 (the pt_regs layout). */
#define SAVE_ALL \
        cld; pushl %es; pushl %ds; pushl %eax; pushl %ebp; pushl %edi; \
        pushl %esi; pushl %edx; pushl %ecx; pushl %ebx; \
        movl $__USER_DS, %edx; movl %edx, %ds; movl %edx, %es
#define RESTORE_ALL \
        popl %ebx; popl %ecx; popl %edx; popl %esi; popl %edi; popl %ebp; \
        popl %eax; popl %ds; popl %es; addl $4, %esp; iret

/* A new task's first return from __switch_to lands here (thread.eip). */
        .text
        .globl ret_from_fork
ret_from_fork:
        pushl %eax                      /* prev, returned by __switch_to */
        call schedule_tail
        popl %eax
        RESTORE_ALL                     /* to user mode, or to kernel_thread_helper */

/* A kernel thread starts here: fn in ebx, its argument in edx. */
        .globl kernel_thread_helper
kernel_thread_helper:
        movl %edx, %eax
        pushl %edx
        call *%ebx
        pushl %eax
        call do_exit

/* int $0x80: SAVE_ALL on the kernel stack the TSS's esp0 names. */
        .globl system_call
system_call:
        pushl %eax                      /* orig_eax */
        SAVE_ALL
        movl %esp, %eax                 /* struct pt_regs * (regparm) */
        call do_system_call
        RESTORE_ALL

/* #GP: look the faulting eip up in __ex_table and resume at its fix-up. */
        .globl general_protection
general_protection:
        pushl %eax
        pushl %ecx
        pushl %edx
        movl 16(%esp), %eax             /* the faulting eip, above the error code */
        call search_exception_table
        testl %eax, %eax
        jz 1f
        movl %eax, 16(%esp)
        popl %edx
        popl %ecx
        popl %eax
        addl $4, %esp                   /* the error code */
        iret
1:      movl 12(%esp), %eax             /* no fix-up: an oops */
        call die_general_protection
        hlt

/* #NM: lazy FPU restore. */
        .globl device_not_available
device_not_available:
        pushl %eax
        pushl %ecx
        pushl %edx
        call math_state_restore
        popl %edx
        popl %ecx
        popl %eax
        iret

/* #DB: debug-register traps. */
        .globl debug
debug:
        pushl %eax
        pushl %ecx
        pushl %edx
        call do_debug
        popl %edx
        popl %ecx
        popl %eax
        iret

/* Task B's user-mode code, entered through ret_from_fork's iret. */
        .globl user_stub
user_stub:
        movl %gs:0, %ebx                /* B's TLS word, through GDT entry 6 */
        movb $'u', %al
        outb %al, $0xe9                 /* allowed by B's I/O bitmap */
        movb $'\n', %al
        outb %al, $0xe9
        movl $20, %eax                  /* getpid */
        int $0x80
        hlt                             /* never reached: B is switched away */
