/* Start on the top of init_thread_union's stack, as a 2.6 kernel does. */
        .section .text.entry
        .globl _start
_start:
        movl $init_thread_union + THREAD_SIZE, %esp
        call kernel_main
        pushl $0                /* esp at the top would belong to the next union */
        movl $init_task, %eax
        movl $-THREAD_SIZE, %ecx
        andl %esp, %ecx
        movl (%ecx), %ebx       /* current, read the way the macro does */
        hlt
