/*
 * The timer interrupt (arch/i386/kernel/i8259.c, time.c, irq.c of 2.6.11,
 * as the timer_irq image has them): an interrupt gate for vector 0x20, the
 * 8259A pair programmed with ICW1-ICW4, PIT channel 0 in mode 2 at HZ, and
 * do_IRQ -> do_timer (jiffies++) -> EOI -> run_timer_list, the seeds'
 * "TIMER_BH bottom half", run as the interrupt returns.
 */
#include "kernel26.h"

#define PIC_MASTER_CMD 0x20
#define PIC_MASTER_IMR 0x21
#define PIC_SLAVE_CMD 0xa0
#define PIC_SLAVE_IMR 0xa1
#define PIC_CASCADE_IR 2
#define FIRST_EXTERNAL_VECTOR 0x20
#define PIT_MODE 0x43
#define PIT_CH0 0x40
#define CLOCK_TICK_RATE 1193182
#define LATCH ((CLOCK_TICK_RATE + HZ / 2) / HZ)
/* What the PIT is programmed with: LATCH, unless an image makes ticks come sooner in virtual time. */
#ifndef PIT_LATCH
#define PIT_LATCH LATCH
#endif
KSTATIC_ASSERT(PIT_LATCH <= 65535, "the PIT's count is 16 bits");

struct desc_struct idt_table[256] __attribute__((aligned(8)));
struct { unsigned short limit; unsigned long base; } __attribute__((packed))
    idt_descr = { 256 * 8 - 1, (unsigned long)idt_table };
extern char irq0_interrupt[], irq7_interrupt[];
unsigned long irq0_count, spurious_irq7;

static inline void outb(unsigned char value, unsigned short port)
{
    __asm__ volatile("outb %0, %w1" : : "a" (value), "Nd" (port));
}

static void set_intr_gate(unsigned int n, void *handler)
{
    unsigned long address = (unsigned long)handler;
    idt_table[n].a = (__KERNEL_CS << 16) | (address & 0xffff);
    idt_table[n].b = (address & 0xffff0000) | 0x8e00;
}

static void init_8259A(void)
{
    outb(0xff, PIC_MASTER_IMR);
    outb(0xff, PIC_SLAVE_IMR);
    outb(0x11, PIC_MASTER_CMD);
    outb(FIRST_EXTERNAL_VECTOR + 0, PIC_MASTER_IMR);
    outb(1U << PIC_CASCADE_IR, PIC_MASTER_IMR);
    outb(0x01, PIC_MASTER_IMR);
    outb(0x11, PIC_SLAVE_CMD);
    outb(FIRST_EXTERNAL_VECTOR + 8, PIC_SLAVE_IMR);
    outb(PIC_CASCADE_IR, PIC_SLAVE_IMR);
    outb(0x01, PIC_SLAVE_IMR);
    outb(0xff & ~(1 << 0) & ~(1 << PIC_CASCADE_IR), PIC_MASTER_IMR);
    outb(0xff, PIC_SLAVE_IMR);
}

void time_init(void)
{
    set_intr_gate(FIRST_EXTERNAL_VECTOR + 0, irq0_interrupt);
    set_intr_gate(FIRST_EXTERNAL_VECTOR + 7, irq7_interrupt);
    __asm__ volatile("lidt %0" : : "m" (idt_descr));
    outb(0x34, PIT_MODE);               /* channel 0, LSB then MSB, mode 2 */
    outb(PIT_LATCH & 0xff, PIT_CH0);
    outb(PIT_LATCH >> 8, PIT_CH0);
    init_8259A();
}

__attribute__((weak)) fastcall unsigned int do_IRQ(struct pt_regs *regs)
{
    int irq = regs->orig_eax & 0xff;
    if (irq == 7) {
        spurious_irq7++;
        return 1;
    }
    irq0_count++;
    jiffies++;                          /* do_timer */
    outb(0x20, PIC_MASTER_CMD);         /* non-specific EOI */
    run_timer_list();                   /* the timer bottom half */
    return 1;
}
