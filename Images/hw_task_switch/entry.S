/* Boot for hw_task_switch: its own GDT (kernel code/data, one TSS per task), then start_kernel on A's stack. */
#define __KERNEL_CS 0x60
#define __KERNEL_DS 0x68
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
        cli
        hlt
