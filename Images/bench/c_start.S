        .section .text.entry
        .globl _start
_start:
        movl $stack_top, %esp
        call bench_main
        hlt
        .bss
        .align 16
        .space 65536
stack_top:
