        .section .text.entry
        .globl _start
_start:
        movl $init_thread_union + THREAD_SIZE, %esp
        call kernel_main
        pushl $0                /* esp at the top would belong to the next union */
        movl $-THREAD_SIZE, %ecx
        andl %esp, %ecx
        movl (%ecx), %eax       /* current */
        hlt
