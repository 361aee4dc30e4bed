/*
 * Entry for the fpu_double image: a stack, fninit (as a kernel
 * initializes its FPU), the kernels, hlt with the checksum in %eax.
 */
        .section .text.entry
        .globl _start
_start:
        movl $stack_top, %esp
        fninit
        call fpu_main
        hlt
        .bss
        .align 16
        .space 65536
stack_top:
