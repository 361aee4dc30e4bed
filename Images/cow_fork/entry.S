/* Boot for cow_fork, and the page-fault entry (entry.S's page_fault: the error code is on the stack). */
        .section .text.entry
        .globl _start
_start:
        movl $a_thread_union + THREAD_SIZE, %esp
        call start_kernel
        cli
        hlt

        .text
        .globl page_fault
page_fault:
        cld
        pushl %eax
        pushl %ecx
        pushl %edx
        movl 12(%esp), %edx             /* error code */
        movl %esp, %eax                 /* the saved registers (regparm: regs, error_code) */
        call do_page_fault
        popl %edx
        popl %ecx
        popl %eax
        addl $4, %esp                   /* the error code */
        iret
