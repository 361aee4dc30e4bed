/*
 * The shared kernel's entry code (arch/i386/kernel/head.S and entry.S,
 * 2.6.11, reduced): boot onto init_thread_union, ret_from_fork,
 * kernel_thread_helper, and the IRQ entry path (SAVE_ALL, do_IRQ, RESTORE_ALL).
 */
#define __USER_DS 0x7b

        .section .text.entry
        .globl _start
_start:
        movl $init_thread_union + THREAD_SIZE, %esp
        call start_kernel
        cli
        hlt

#define SAVE_ALL \
        cld; pushl %es; pushl %ds; pushl %eax; pushl %ebp; pushl %edi; \
        pushl %esi; pushl %edx; pushl %ecx; pushl %ebx; \
        movl $__USER_DS, %edx; movl %edx, %ds; movl %edx, %es
#define RESTORE_ALL \
        popl %ebx; popl %ecx; popl %edx; popl %esi; popl %edi; popl %ebp; \
        popl %eax; popl %ds; popl %es; addl $4, %esp; iret

        .text
/* A new task's first return from __switch_to lands here (its thread.eip). */
        .globl ret_from_fork
ret_from_fork:
        pushl %eax                      /* prev, returned by __switch_to */
        call schedule_tail
        popl %eax
        RESTORE_ALL                     /* the child's pt_regs: eax 0, eip kernel_thread_helper */

/* A kernel thread starts here: fn in ebx, its argument in edx. */
        .globl kernel_thread_helper
kernel_thread_helper:
        movl %edx, %eax
        pushl %edx
        call *%ebx
        pushl %eax
        call do_exit

/* include/asm-i386/system.h safe_halt(): sti; hlt (the sti shadow covers the hlt). */
        .globl safe_halt
safe_halt:
        sti
        hlt
        ret
