# The switch_to sequence of Linux 2.6 i386 (include/asm-i386/system.h), as the
# seeds quote it: prev in %eax, next in %edx; thread.eip at 480, thread.esp at 484.
        .text
        .globl switch_to
switch_to:
        pushfl
        pushl %ebp
        movl %esp, 484(%eax)        # prev->thread.esp = esp
        movl 484(%edx), %esp        # esp = next->thread.esp
        movl $1f, 480(%eax)         # prev->thread.eip = 1f
        pushl 480(%edx)             # return address: next->thread.eip
        jmp __switch_to
1:      popl %ebp
        popfl

# The current macro: thread_info from esp with 8 KB stacks, then ->task.
        .globl get_current
get_current:
        movl $0xffffe000, %ecx
        andl %esp, %ecx
        movl (%ecx), %ecx
        ret

        .globl __switch_to
__switch_to:
        ret
