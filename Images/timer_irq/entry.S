/*
 * Entry code for the timer_irq image: boot, safe_halt, and the IRQ entry
 * path of arch/i386/kernel/entry.S (2.6.11): interrupt[] stubs that push
 * irq - 256 as orig_eax, common_interrupt with SAVE_ALL, do_IRQ (fastcall:
 * the pt_regs pointer in eax), RESTORE_ALL and iret.
 */
#define __USER_DS 0x7b

        .section .text.entry
        .globl _start
_start:
        movl $init_thread_union + THREAD_SIZE, %esp
        call start_kernel
        cli
        hlt                             /* IF clear: the run ends here */

/* SAVE_ALL / RESTORE_ALL, as in 2.6.11 (the pt_regs layout). */
#define SAVE_ALL \
        cld; pushl %es; pushl %ds; pushl %eax; pushl %ebp; pushl %edi; \
        pushl %esi; pushl %edx; pushl %ecx; pushl %ebx; \
        movl $__USER_DS, %edx; movl %edx, %ds; movl %edx, %es
#define RESTORE_ALL \
        popl %ebx; popl %ecx; popl %edx; popl %esi; popl %edi; popl %ebp; \
        popl %eax; popl %ds; popl %es; addl $4, %esp; iret

        .text
/* include/asm-i386/system.h safe_halt(): sti; hlt. Called with interrupts
 * off, sti opens its one-instruction shadow over the hlt, so a tick that is
 * already pending wakes the hlt instead of slipping in before it; every tick
 * taken here returns to idle_wakeup. */
        .globl safe_halt
safe_halt:
        sti
        hlt
        .globl idle_wakeup
idle_wakeup:
        ret

/* The interrupt[] stubs for IRQ0 (the PIT) and IRQ7 (the 8259A's spurious vector). */
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
