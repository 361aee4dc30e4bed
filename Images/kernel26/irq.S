/* The interrupt[] stubs for IRQ0 (the PIT) and IRQ7 (spurious), and common_interrupt (entry.S, 2.6.11). */
#define __USER_DS 0x7b
#define SAVE_ALL \
        cld; pushl %es; pushl %ds; pushl %eax; pushl %ebp; pushl %edi; \
        pushl %esi; pushl %edx; pushl %ecx; pushl %ebx; \
        movl $__USER_DS, %edx; movl %edx, %ds; movl %edx, %es
#define RESTORE_ALL \
        popl %ebx; popl %ecx; popl %edx; popl %esi; popl %edi; popl %ebp; \
        popl %eax; popl %ds; popl %es; addl $4, %esp; iret

        .text
/* The interrupt[] stub for IRQ0 (the PIT) and the common path. */
        .globl irq0_interrupt
irq0_interrupt:
        pushl $0 - 256
        jmp common_interrupt

        .globl irq7_interrupt
irq7_interrupt:
        pushl $7 - 256
        jmp common_interrupt

common_interrupt:
        SAVE_ALL
        movl %esp, %eax                 /* struct pt_regs * (regparm) */
        call do_IRQ
        RESTORE_ALL
