/*
 * The timer interrupt, as a 2.6 kernel sets it up on a PC: trap_init puts an
 * interrupt gate for vector 0x20 in idt_table, init_8259A (i8259.c) programs
 * the 8259A pair with ICW1-ICW4 (vectors 0x20-0x2f, the slave on IR2) and
 * unmasks IRQ0, setup_pit_timer (timers/timer_pit.c) starts PIT channel 0 in
 * mode 2, and every tick goes through common_interrupt to do_IRQ, which
 * counts jiffies and sends the master a non-specific EOI.
 *
 * kstep's device time is 1 ns per instruction (a rep iteration and a tick
 * asleep in hlt count as instructions), and the PIT counts at 1,193,182 Hz:
 * the count of 4 gives a tick every 4 / 1,193,182 s = 3,352.4 ns, a few
 * thousand instructions (2.6's HZ=1000 LATCH of 1193 would be a million).
 *
 * start_kernel idles with default_idle's cli, check, sti; hlt until jiffies
 * reaches 10 (each tick wakes the hlt, and the time asleep is skipped), then clears a 64 KB buffer
 * with one rep stosl of 16,384 iterations, ticks long enough for the timer
 * to interrupt it: the handler notes ecx when the interrupted instruction is
 * the rep, which resumes after the iret. Then it checks the buffer with
 * repe scasl and prints what happened on port 0xE9.
 */
#include "linux26.h"

#define TICKS 10
#define LATCH 4                 /* PIT input clocks per tick */
#define PIT_HZ 1193182
#define BUFFER_WORDS 4096
#define PATTERN 0x5a5a5a5aUL

#define PIC_MASTER_CMD 0x20
#define PIC_MASTER_IMR 0x21
#define PIC_SLAVE_CMD 0xa0
#define PIC_SLAVE_IMR 0xa1
#define PIC_CASCADE_IR 2
#define FIRST_EXTERNAL_VECTOR 0x20
#define PIT_MODE 0x43
#define PIT_CH0 0x40

union thread_union init_thread_union __attribute__((section(".thread_union"), aligned(THREAD_SIZE)));
struct task_struct init_task = { .pid = 0, .comm = "swapper" };

struct desc_struct idt_table[256] __attribute__((aligned(8)));
struct { unsigned short limit; unsigned long base; } __attribute__((packed))
    idt_descr = { 256 * 8 - 1, (unsigned long)idt_table };

extern char irq0_interrupt[], irq7_interrupt[], idle_wakeup[], rep_stosl_site[];
void safe_halt(void);

volatile unsigned long jiffies;
unsigned long irq_count[16];
unsigned long spurious_irq7;
/* What the timer interrupted. */
unsigned long hlt_wakeups;
unsigned long rep_interruptions;
unsigned long rep_ecx;          /* ecx in the first interrupted rep stosl's pt_regs */
unsigned long rep_edi;
unsigned long buffer[BUFFER_WORDS + 1];   /* the last word is a guard rep stosl must not reach */
unsigned long idle_ns, buffer_mismatch;

/* include/asm-i386/io.h */
static inline void outb(unsigned char value, unsigned short port)
{
    __asm__ volatile("outb %0, %w1" : : "a" (value), "Nd" (port));
}

static inline unsigned long long rdtsc(void)
{
    unsigned long long value;
    __asm__ volatile("rdtsc" : "=A" (value));
    return value;
}

static void console_dec(unsigned long value)
{
    char digits[12];
    int n = 0;
    do {
        digits[n++] = '0' + value % 10;
        value /= 10;
    } while (value);
    while (n) console_putc(digits[--n]);
}

/* arch/i386/kernel/traps.c: _set_gate(idt_table + n, 14, 0, addr, __KERNEL_CS) */
static void set_intr_gate(unsigned int n, void *handler)
{
    unsigned long address = (unsigned long)handler;
    idt_table[n].a = (__KERNEL_CS << 16) | (address & 0xffff);
    idt_table[n].b = (address & 0xffff0000) | 0x8e00;   /* present, DPL 0, 32-bit interrupt gate */
}

/* arch/i386/kernel/i8259.c: init_8259A(0), without the outb_p delays. */
static void init_8259A(void)
{
    outb(0xff, PIC_MASTER_IMR);                 /* mask all of 8259A-1 */
    outb(0xff, PIC_SLAVE_IMR);                  /* mask all of 8259A-2 */
    outb(0x11, PIC_MASTER_CMD);                 /* ICW1: edge, cascade, ICW4 follows */
    outb(FIRST_EXTERNAL_VECTOR + 0, PIC_MASTER_IMR);    /* ICW2: IR0-7 -> 0x20-0x27 */
    outb(1U << PIC_CASCADE_IR, PIC_MASTER_IMR); /* ICW3: the slave is on IR2 */
    outb(0x01, PIC_MASTER_IMR);                 /* ICW4: 8086 mode, normal EOI */
    outb(0x11, PIC_SLAVE_CMD);
    outb(FIRST_EXTERNAL_VECTOR + 8, PIC_SLAVE_IMR);     /* ICW2: IR0-7 -> 0x28-0x2f */
    outb(PIC_CASCADE_IR, PIC_SLAVE_IMR);        /* ICW3: slave ID 2 */
    outb(0x01, PIC_SLAVE_IMR);
    outb(0xff & ~(1 << 0) & ~(1 << PIC_CASCADE_IR), PIC_MASTER_IMR);   /* OCW1: IRQ0 and the cascade */
    outb(0xff, PIC_SLAVE_IMR);
}

/* arch/i386/kernel/timers/timer_pit.c: setup_pit_timer() */
static void setup_pit_timer(void)
{
    outb(0x34, PIT_MODE);                       /* channel 0, LSB then MSB, mode 2, binary */
    outb(LATCH & 0xff, PIT_CH0);
    outb(LATCH >> 8, PIT_CH0);
}

static void timer_interrupt(struct pt_regs *regs)
{
    jiffies++;
    if (regs->eip == (unsigned long)idle_wakeup) {
        hlt_wakeups++;
    } else if (regs->eip == (unsigned long)rep_stosl_site) {
        if (rep_interruptions++ == 0) {
            rep_ecx = regs->ecx;
            rep_edi = regs->edi;
        }
    }
}

/* arch/i386/kernel/irq.c: do_IRQ, with the 8259A's end of interrupt. */
fastcall unsigned int do_IRQ(struct pt_regs *regs)
{
    int irq = regs->orig_eax & 0xff;
    if (irq == 7) {
        spurious_irq7++;                        /* the 8259A's default IR7: no EOI */
        return 1;
    }
    irq_count[irq]++;
    if (irq == 0) timer_interrupt(regs);
    outb(0x20, PIC_MASTER_CMD);                 /* OCW2: non-specific EOI */
    return 1;
}

/*
 * arch/i386/kernel/process.c: default_idle(). Interrupts go off while it
 * decides to sleep; safe_halt's sti; hlt then leaves no window for the tick
 * that ends the wait to come between the check and the hlt.
 */
static void default_idle(void)
{
    __asm__ volatile("cli" : : : "memory");     /* local_irq_disable() */
    if (jiffies < TICKS)
        safe_halt();
    else
        __asm__ volatile("sti" : : : "memory");
}

/* Fills the buffer with one rep stosl, interrupts enabled. */
static void __attribute__((noinline, noclone)) clear_buffer(unsigned long value)
{
    unsigned long *destination = buffer;
    unsigned long count = BUFFER_WORDS;
    __asm__ volatile(".globl rep_stosl_site\n"
                     "rep_stosl_site:\n\t"
                     "rep stosl"
                     : "+D" (destination), "+c" (count) : "a" (value) : "memory");
}

/* How many words differ from value, found with repe scasl. */
static unsigned long check_buffer(unsigned long value)
{
    unsigned long *position = buffer;
    unsigned long count = BUFFER_WORDS;
    __asm__ volatile("repe scasl" : "+D" (position), "+c" (count) : "a" (value) : "memory", "cc");
    /* edi is one word past the first mismatch, or past the end; the guard word must be 0. */
    return (count != 0 || position[-1] != value) + (buffer[BUFFER_WORDS] != 0);
}

void start_kernel(void)
{
    init_thread_union.thread_info.task = &init_task;
    set_intr_gate(FIRST_EXTERNAL_VECTOR + 0, irq0_interrupt);
    set_intr_gate(FIRST_EXTERNAL_VECTOR + 7, irq7_interrupt);
    __asm__ volatile("lidt %0" : : "m" (idt_descr));
    /*
     * The PIT first: kstep's powers up with OUT low (a BIOS would have left it
     * running), so starting mode 2 is a rising edge on IRQ0. ICW1 then resets
     * the 8259A's edge sense and that edge is forgotten: the first tick comes
     * one period after the PIT started, as every later one.
     */
    setup_pit_timer();
    init_8259A();

    unsigned long long start = rdtsc();
    while (jiffies < TICKS)
        default_idle();
    idle_ns = rdtsc() - start;

    clear_buffer(PATTERN);
    __asm__ volatile("cli" : : : "memory");
    buffer_mismatch = check_buffer(PATTERN);

    console_puts("timer: 8259A vectors 0x20-0x2f, PIT mode 2 count ");
    console_dec(LATCH);
    console_puts(" (");
    console_dec(LATCH * 1000000000ULL / PIT_HZ);
    console_puts(" ns per tick)\ntimer: ");
    console_dec(TICKS);
    console_puts(" ticks in ");
    console_dec(idle_ns);
    console_puts(" ns, sti; hlt woke ");
    console_dec(hlt_wakeups);
    console_puts(" times\ntimer: rep stosl of ");
    console_dec(BUFFER_WORDS);
    console_puts(" dwords ");
    if (rep_interruptions) {
        console_puts("interrupted at ecx=");
        console_dec(rep_ecx);
        console_puts(" (");
        console_dec(rep_interruptions);
        console_puts(rep_interruptions == 1 ? " tick), resumed" : " ticks), resumed");
    } else {
        console_puts("ran without a tick");
    }
    console_puts(buffer_mismatch ? ", buffer WRONG\n" : ", buffer ok\n");
    console_puts("timer: jiffies=");
    console_dec(jiffies);
    console_putc('\n');
}
