/*
 * The interrupt[] stubs for IRQ0 (the PIT) and IRQ7 (spurious),
 * common_interrupt, and ret_from_intr's resume_kernel as 2.6.11's entry.S
 * writes it for CONFIG_PREEMPT: back to a task whose preempt_count is 0,
 * with TIF_NEED_RESCHED set by the tick and interrupts on in the
 * interrupted context, the IRQ exit calls preempt_schedule_irq.
 * (kernel26/irq.S without the preemption; the spinlock image links this
 * one instead.)
 */
#define __USER_DS 0x7b
#define TI_flags 8
#define TI_preempt_count 20
#define _TIF_NEED_RESCHED (1 << 3)
#define IF_MASK 0x00000200
#define EFLAGS 0x30
#define SAVE_ALL \
        cld; pushl %es; pushl %ds; pushl %eax; pushl %ebp; pushl %edi; \
        pushl %esi; pushl %edx; pushl %ecx; pushl %ebx; \
        movl $__USER_DS, %edx; movl %edx, %ds; movl %edx, %es
#define RESTORE_ALL \
        popl %ebx; popl %ecx; popl %edx; popl %esi; popl %edi; popl %ebp; \
        popl %eax; popl %ds; popl %es; addl $4, %esp; iret
#define GET_THREAD_INFO(reg) \
        movl $-THREAD_SIZE, reg; andl %esp, reg

        .text
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
ret_from_intr:
        GET_THREAD_INFO(%ebp)
/* The images run in ring 0 only: every interrupt returns to the kernel. */
resume_kernel:
        cli
        cmpl $0, TI_preempt_count(%ebp) /* non-zero preempt_count ? */
        jnz restore_all
need_resched:
        movl TI_flags(%ebp), %ecx       /* need_resched set ? */
        testb $_TIF_NEED_RESCHED, %cl
        jz restore_all
        testl $IF_MASK, EFLAGS(%esp)    /* interrupts off (exception path) ? */
        jz restore_all
        call preempt_schedule_irq
        jmp need_resched
restore_all:
        RESTORE_ALL
