/*
 * Entry code for the lazy_fpu image (arch/i386/kernel/head.S and entry.S,
 * reduced to what it shows): boot with CR0.MP and NE set as head.S sets
 * them, ret_from_fork into a kernel thread, and the #NM entry that calls
 * math_state_restore.
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
        movl %cr0, %eax
        orl $0x22, %eax                 /* head.S: MP and NE (numeric errors as #MF) */
        movl %eax, %cr0
        movl $a_thread_union + THREAD_SIZE, %esp
        call start_kernel
        hlt                             /* eax: the number of results that match */

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
        RESTORE_ALL                     /* to kernel_thread_helper */

/* A kernel thread starts here: fn in ebx, its argument in edx. */
        .globl kernel_thread_helper
kernel_thread_helper:
        movl %edx, %eax
        pushl %edx
        call *%ebx
        pushl %eax
        call do_exit

/* #NM (a trap gate): lazy FPU restore, or no math emulation when CR0.EM is set. */
        .globl device_not_available
device_not_available:
        pushl $-1                       /* orig_eax */
        SAVE_ALL
        movl %cr0, %eax
        testl $0x4, %eax                /* EM */
        jne device_not_available_emulate
        call math_state_restore
        RESTORE_ALL
device_not_available_emulate:
        call math_emulate               /* does not return */
