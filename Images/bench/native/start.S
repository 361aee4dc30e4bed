/*
 * Native Linux user-mode entry for the benchmarks (Scripts/bench). With
 * BENCH_MAIN defined: switch to STACK_TOP (default: a 64 KB stack of its
 * own, like c_start.S's; the ping-pong passes union_a+8192 so that
 * `current` finds the same thread_union), call the workload and finish.
 * The ALU loop has its own _start and jumps to native_exit instead of hlt.
 */
        .text
#ifdef BENCH_MAIN
#ifndef STACK_TOP
#define STACK_TOP native_stack_top
        .bss
        .align 16
        .space 65536
native_stack_top:
        .text
#endif
        .globl native_start
native_start:
        movl $STACK_TOP, %esp
        call BENCH_MAIN
#endif
        .globl native_exit
native_exit:
        call native_finish      /* regparm(1): the result in %eax */
