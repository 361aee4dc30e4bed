        .section .text.entry
        .globl _start
_start:
        movl $union_a + 8192, %esp
        call pingpong_main
        hlt
