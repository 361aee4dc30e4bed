/*
 * A Multiboot (version 1) kernel: the header GRUB and QEMU's -kernel look
 * for in the first 8 KB (flags 0: load by the ELF program headers), the
 * entry with EAX = 0x2BADB002 and EBX = the multiboot information, and the
 * entry stub for IRQ 4 (COM1).
 */
#define MULTIBOOT_MAGIC 0x1badb002
#define MULTIBOOT_FLAGS 0

        .section .multiboot
        .align 4
        .long MULTIBOOT_MAGIC
        .long MULTIBOOT_FLAGS
        .long -(MULTIBOOT_MAGIC + MULTIBOOT_FLAGS)

        .section .text.entry
        .globl _start
_start:
        movl $boot_stack_top, %esp
        pushl %ebx                      /* struct multiboot_info * */
        pushl %eax                      /* the loader's magic */
        call kmain
        cli
        hlt                             /* IF clear: the run ends here */

        .text
/* sti; hlt: the sti's shadow covers the hlt, so an interrupt already
 * pending wakes the hlt instead of slipping in before it. */
        .globl wait_for_interrupt
wait_for_interrupt:
        sti
        hlt
        cli
        ret

        .globl irq4_interrupt
irq4_interrupt:
        cld
        pushal
        call serial_interrupt
        popal
        iret

        .bss
        .align 16
        .space 4096
boot_stack_top:
