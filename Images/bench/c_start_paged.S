/*
 * Benchmark 2 with paging on: the same C workload (c_workloads.c) after
 * this start code has built 32-bit page tables with 4 KB pages and set
 * CR0.PG. The map is the identity over two ranges:
 *   0x00000000–0x01ffffff  the default environment (GDT, TSS, init_task,
 *                          init_thread_union at 0x015fa000), 8 page tables;
 *   0xc0000000–0xc03fffff  this image (text, data, bss, the stack), 1 table.
 * Every entry is present and writable (supervisor); CR4 stays 0 (no 4 MB
 * pages, no global pages), so every memory access goes through the TLB.
 */
        .section .text.entry
        .globl _start
_start:
        movl $stack_top, %esp
        cld
        /* Page tables for 0–32 MB: frame n at entry n. */
        movl $low_page_tables, %edi
        movl $0x00000003, %eax          /* present | writable */
        movl $8 * 1024, %ecx
1:      stosl
        addl $0x1000, %eax
        decl %ecx
        jnz 1b
        /* The page table for 0xc0000000–0xc03fffff. */
        movl $image_page_table, %edi
        movl $0xc0000003, %eax
        movl $1024, %ecx
2:      stosl
        addl $0x1000, %eax
        decl %ecx
        jnz 2b
        /* The directory: entries 0–7 and 768 (0xc0000000 >> 22). */
        movl $page_directory, %edi
        movl $low_page_tables + 3, %eax
        movl $8, %ecx
3:      stosl
        addl $0x1000, %eax
        decl %ecx
        jnz 3b
        movl $image_page_table + 3, page_directory + 768 * 4
        /* Paging on. */
        movl $page_directory, %eax
        movl %eax, %cr3
        movl %cr0, %eax
        orl $0x80000000, %eax
        movl %eax, %cr0
        call bench_main
        hlt

        .bss
        .align 4096
        .globl page_directory, low_page_tables, image_page_table
page_directory:
        .space 4096
low_page_tables:
        .space 8 * 4096
image_page_table:
        .space 4096
        .align 16
        .space 65536
stack_top:
