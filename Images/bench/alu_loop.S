/* Benchmark 1: a register ALU loop, 6 instructions × 25,000,000 iterations. */
#ifndef HALT
#define HALT hlt        /* the native build (Scripts/bench) jumps to native_exit */
#endif
        .section .text.entry
        .globl _start
_start:
        movl $25000000, %ecx
        xorl %eax, %eax
        movl $1, %ebx
        movl $0x12345678, %edx
        movl $7, %esi
1:      addl %ebx, %eax
        xorl %edx, %eax
        leal 3(%ebx,%esi,2), %ebx
        subl %esi, %edx
        andl $0x7fffffff, %eax
        decl %ecx
        jnz 1b
        HALT
