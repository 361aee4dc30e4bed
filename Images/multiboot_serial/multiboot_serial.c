/*
 * A Multiboot kernel with an interrupt-driven COM1 driver, the way xv6 and
 * Linux drive a 16550: the 8259A pair programmed with ICW1-ICW4 (vectors
 * 0x20-0x2f) and only IRQ 4 unmasked, the UART at 115200 baud 8N1 with its
 * FIFOs on, OUT2 set (on a PC it gates the UART's interrupt line), and
 * interrupts for received data and an empty transmitter. Output waits for
 * THRE with sti; hlt, so the time a byte takes on the line costs nothing;
 * input arrives on IRQ 4 into a line buffer. The kernel reports what the
 * loader told it, then answers each line it receives in capitals until it
 * receives "halt".
 */
#define COM1 0x3f8
#define UART_RBR 0              /* receive buffer (read) */
#define UART_THR 0              /* transmit holding (write) */
#define UART_IER 1
#define UART_IIR 2              /* interrupt identification (read) */
#define UART_FCR 2              /* FIFO control (write) */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_DLL 0              /* divisor latch, with LCR.DLAB */
#define UART_DLM 1
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY 0x20
#define IER_RECEIVED_DATA 0x01
#define IER_THR_EMPTY 0x02
#define IIR_NO_INTERRUPT 0x01
#define MULTIBOOT_LOADER_MAGIC 0x2badb002
#define MULTIBOOT_INFO_MEMORY 0x001
#define FIRST_EXTERNAL_VECTOR 0x20

struct multiboot_info {
    unsigned long flags;
    unsigned long mem_lower;    /* KB below 1 MB */
    unsigned long mem_upper;    /* KB above 1 MB */
};

struct gate { unsigned short offset_low, selector, flags, offset_high; };

static struct gate idt[256];
static volatile char line[80];
static volatile int line_length;
static volatile int line_complete;
volatile unsigned long irq4_count;
volatile unsigned long received_bytes;
volatile unsigned long thre_interrupts;
unsigned long lines_answered;

extern void irq4_interrupt(void);
extern void wait_for_interrupt(void);

static inline void outb(unsigned char value, unsigned short port)
{
    __asm__ volatile("outb %0, %1" : : "a" (value), "Nd" (port));
}

static inline unsigned char inb(unsigned short port)
{
    unsigned char value;
    __asm__ volatile("inb %1, %0" : "=a" (value) : "Nd" (port));
    return value;
}

static void set_interrupt_gate(int vector, void (*handler)(void))
{
    unsigned short cs;
    __asm__ volatile("movw %%cs, %0" : "=r" (cs));
    unsigned long address = (unsigned long)handler;
    idt[vector] = (struct gate){ address & 0xffff, cs, 0x8e00, address >> 16 };
}

static void load_idt(void)
{
    struct { unsigned short limit; unsigned long base; } __attribute__((packed)) descriptor =
        { sizeof(idt) - 1, (unsigned long)idt };
    __asm__ volatile("lidt %0" : : "m" (descriptor));
}

/* i8259.c's init_8259A: edge triggered, cascade on IR2, 8086 mode. */
static void init_8259A(void)
{
    outb(0xff, 0x21);
    outb(0xff, 0xa1);
    outb(0x11, 0x20);                           /* ICW1: ICW4 needed, cascade */
    outb(FIRST_EXTERNAL_VECTOR, 0x21);          /* ICW2: IRQ0-7 -> 0x20-0x27 */
    outb(1 << 2, 0x21);                         /* ICW3: the slave on IR2 */
    outb(0x01, 0x21);                           /* ICW4: 8086 mode */
    outb(0x11, 0xa0);
    outb(FIRST_EXTERNAL_VECTOR + 8, 0xa1);      /* IRQ8-15 -> 0x28-0x2f */
    outb(2, 0xa1);                              /* its cascade identity */
    outb(0x01, 0xa1);
    outb(~(1 << 4) & 0xff, 0x21);               /* only IRQ 4 */
    outb(0xff, 0xa1);
}

static void init_uart(void)
{
    outb(0x80, COM1 + UART_LCR);                /* DLAB */
    outb(1, COM1 + UART_DLL);                   /* 115200 baud */
    outb(0, COM1 + UART_DLM);
    outb(0x03, COM1 + UART_LCR);                /* 8N1 */
    outb(0x07, COM1 + UART_FCR);                /* FIFOs on and cleared */
    outb(0x0b, COM1 + UART_MCR);                /* DTR, RTS, OUT2 */
    while (inb(COM1 + UART_LSR) & LSR_DATA_READY)
        (void)inb(COM1 + UART_RBR);
    outb(IER_RECEIVED_DATA | IER_THR_EMPTY, COM1 + UART_IER);
}

/* IRQ 4: drain the receiver into the line; the IIR read acknowledges THRE. */
void serial_interrupt(void)
{
    irq4_count++;
    unsigned char cause;
    while (!((cause = inb(COM1 + UART_IIR)) & IIR_NO_INTERRUPT)) {
        if ((cause & 0x0e) == 0x02)
            thre_interrupts++;
        while (inb(COM1 + UART_LSR) & LSR_DATA_READY) {
            char c = inb(COM1 + UART_RBR);
            received_bytes++;
            if (line_complete)
                continue;               /* the answer is still being written */
            if (c == '\n')
                line_complete = 1;
            else if (line_length < (int)sizeof(line) - 1)
                line[line_length++] = c;
        }
    }
    outb(0x20, 0x20);                   /* non-specific EOI */
}

static void putc(char c)
{
    while (!(inb(COM1 + UART_LSR) & LSR_THR_EMPTY))
        wait_for_interrupt();
    outb(c, COM1 + UART_THR);
}

static void puts(const char *s)
{
    while (*s) {
        if (*s == '\n')
            putc('\r');
        putc(*s++);
    }
}

static void putdec(unsigned long value)
{
    char digits[12];
    int n = 0;
    do digits[n++] = '0' + value % 10; while ((value /= 10) != 0);
    while (n > 0)
        putc(digits[--n]);
}

static void puthex(unsigned long value)
{
    for (int shift = 28; shift >= 0; shift -= 4)
        putc("0123456789abcdef"[(value >> shift) & 0xf]);
}

static int line_is(const char *word)
{
    int i = 0;
    for (; word[i]; i++)
        if (i >= line_length || line[i] != word[i])
            return 0;
    return i == line_length;
}

void kmain(unsigned long magic, struct multiboot_info *info)
{
    set_interrupt_gate(FIRST_EXTERNAL_VECTOR + 4, irq4_interrupt);
    load_idt();
    init_8259A();
    init_uart();

    puts("multiboot: magic ");
    puthex(magic);
    if (magic == MULTIBOOT_LOADER_MAGIC && (info->flags & MULTIBOOT_INFO_MEMORY)) {
        puts(", mem_lower ");
        putdec(info->mem_lower);
        puts(" KB, mem_upper ");
        putdec(info->mem_upper);
        puts(" KB");
    }
    puts("\nserial: COM1 at 115200 8N1, IRQ 4 for received data and THR empty\n");
    for (;;) {
        puts("> ");
        while (!line_complete)
            wait_for_interrupt();
        if (line_is("halt"))
            break;
        puts("echo: ");
        for (int i = 0; i < line_length; i++)
            putc(line[i] >= 'a' && line[i] <= 'z' ? line[i] - 'a' + 'A' : line[i]);
        puts("\n");
        lines_answered++;
        line_length = 0;
        line_complete = 0;
    }
    puts("bye: ");
    putdec(lines_answered);
    puts(" lines, ");
    putdec(received_bytes);
    puts(" bytes received, ");
    putdec(irq4_count);
    puts(" interrupts\n");
}
