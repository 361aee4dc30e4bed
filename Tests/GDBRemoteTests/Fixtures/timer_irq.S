/*
 * Timer interrupts for reverse-execution tests (kstep run --pc): the 8259
 * master at vector 0x20 with only IRQ0 unmasked, PIT channel 0 in mode 2
 * with a count of 50 (one IRQ0 every ~41,900 ns = instructions), an
 * interrupt gate that counts ticks and sends EOI; the main loop counts
 * work until `tick_limit` ticks (10), then cli; hlt.
 */
        .text
        .globl _start
_start:
        movl $timer, %eax
        movw %ax, gate
        shrl $16, %eax
        movw %ax, gate + 6
        lidt idt_descriptor
        movb $0x11, %al                 /* ICW1: edge, cascade, ICW4 */
        outb %al, $0x20
        movb $0x20, %al                 /* ICW2: vectors 0x20-0x27 */
        outb %al, $0x21
        movb $0x04, %al                 /* ICW3: slave on IR2 */
        outb %al, $0x21
        movb $0x01, %al                 /* ICW4: 8086 mode */
        outb %al, $0x21
        movb $0xfe, %al                 /* OCW1: IRQ0 only */
        outb %al, $0x21
        movb $0x34, %al                 /* PIT channel 0, lobyte/hibyte, mode 2 */
        outb %al, $0x43
        movb $50, %al
        outb %al, $0x40
        xorb %al, %al
        outb %al, $0x40
        sti
1:      incl work
        movl work, %ecx
        xorl %ecx, scratch
        movl ticks, %edx
        cmpl tick_limit, %edx
        jb 1b
        cli
        hlt

timer:  pushl %eax
        incl ticks
        movl work, %eax
        movl %eax, last_work
        movb $0x20, %al                 /* non-specific EOI */
        outb %al, $0x20
        popl %eax
        iret

        .data
        .align 8
idt:    .fill 0x20, 8, 0
gate:   .word 0, 0x60, 0x8e00, 0
idt_descriptor:
        .word 0x21 * 8 - 1
        .long idt
        .globl ticks, work, last_work, scratch, tick_limit
tick_limit: .long 10
ticks:  .long 0
work:   .long 0
last_work: .long 0
scratch: .long 0
