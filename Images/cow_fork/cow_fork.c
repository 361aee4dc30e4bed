/*
 * Copy-on-write fork (the seeds' "Copy-on-Write"; mm/memory.c of 2.6):
 * paging on, a parent with four private writable pages at 0x40000000. fork
 * duplicates its page table (copy_page_range): every writable page becomes
 * read-only in both parent and child and its frame's reference count goes
 * to 2 — nothing is copied. The first write to a shared page takes a #PF
 * (error code 0x3: present, write, in ring 0 with CR0.WP set); do_wp_page
 * sees the count: 2 means copy_cow_page copies the frame and the writer gets
 * the copy, writable; 1 means nobody else has the page any more and write
 * access is simply given back. A page only read, or never touched, is never
 * copied; the console counts copies.
 *
 * Parent and child are tasks A and B with their own thread_unions and page
 * directories; 2.6's switch_to moves between them and __switch_to loads
 * next's cr3 (switch_mm). Kernel memory is mapped with 4 MB pages in every
 * page directory.
 */
#include "kernel26.h"

#define PAGE_SIZE 4096
#define _PAGE_PRESENT 0x001
#define _PAGE_RW 0x002
#define _PAGE_PSE 0x080
#define USER_BASE 0x40000000UL
#define USER_PAGES 4
#define NR_FRAMES 8

typedef unsigned long pte_t;

/* kernel26's printk needs these names; this image has no scheduler. */
union thread_union *const thread_union_pool[] = { 0 };
task_t *const task_pool[] = { 0 };
const int task_pool_size = 0;

union thread_union a_thread_union __attribute__((section(".thread_union.a"), aligned(THREAD_SIZE)));
union thread_union b_thread_union __attribute__((section(".thread_union.b"), aligned(THREAD_SIZE)));
task_t a_task = { .pid = 1, .comm = "parent" }, b_task = { .pid = 2, .comm = "child" };

struct mm_struct_cow { unsigned long *pgd; pte_t *pte_table; };
struct mm_struct_cow parent_mm, child_mm;

/* Page directories and tables, and the frames user pages live in, with mem_map's reference counts. */
unsigned long parent_pgd[1024] __attribute__((aligned(PAGE_SIZE)));
unsigned long child_pgd[1024] __attribute__((aligned(PAGE_SIZE)));
pte_t parent_pte[1024] __attribute__((aligned(PAGE_SIZE)));
pte_t child_pte[1024] __attribute__((aligned(PAGE_SIZE)));
unsigned char frames[NR_FRAMES][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
struct page { int count; } mem_map[NR_FRAMES];
static int frames_used;

/* What the run leaves for the expectations. */
unsigned long cow_faults, cow_copies, cow_reuses;
unsigned long fault_errors[8], fault_addresses[8];
unsigned long parent_sees[USER_PAGES], child_sees[USER_PAGES];

struct desc_struct idt_table[256] __attribute__((aligned(8)));
struct { unsigned short limit; unsigned long base; } __attribute__((packed))
    idt_descr = { 256 * 8 - 1, (unsigned long)idt_table };
extern char page_fault[];

static struct page *pfn_to_page(unsigned long phys) { return &mem_map[(phys - (unsigned long)frames) / PAGE_SIZE]; }
static unsigned long frame_number(unsigned long phys) { return (phys - (unsigned long)frames) / PAGE_SIZE; }

static unsigned long alloc_page(void)
{
    unsigned long phys = (unsigned long)frames[frames_used++];
    pfn_to_page(phys)->count = 1;
    return phys;
}

static inline void load_cr3(unsigned long *pgd) { __asm__ volatile("movl %0, %%cr3" : : "r" (pgd) : "memory"); }
static inline unsigned long read_cr2(void) { unsigned long v; __asm__ volatile("movl %%cr2, %0" : "=r" (v)); return v; }
static inline void __flush_tlb(void)
{
    unsigned long cr3;
    __asm__ volatile("movl %%cr3, %0; movl %0, %%cr3" : "=r" (cr3) : : "memory");
}

/* Kernel mappings every page directory shares: 0-32 MB and the image at 0xc0000000, 4 MB pages. */
static void pgd_kernel(unsigned long *pgd)
{
    for (unsigned long i = 0; i < 8; i++) pgd[i] = (i << 22) | _PAGE_PSE | _PAGE_RW | _PAGE_PRESENT;
    pgd[0xc0000000UL >> 22] = 0xc0000000UL | _PAGE_PSE | _PAGE_RW | _PAGE_PRESENT;
}

/* copy_page_range, for the one page table: share every page, write-protect the writable ones in both. */
static void copy_page_range(struct mm_struct_cow *dst, struct mm_struct_cow *src)
{
    for (int i = 0; i < USER_PAGES; i++) {
        pte_t pte = src->pte_table[i];
        if (!(pte & _PAGE_PRESENT)) continue;
        if (pte & _PAGE_RW) {
            src->pte_table[i] = pte &= ~_PAGE_RW;   /* ptep_set_wrprotect */
        }
        dst->pte_table[i] = pte;
        pfn_to_page(pte & ~0xfffUL)->count++;       /* get_page */
    }
    __flush_tlb();                                  /* the parent's writable entries changed */
}

/* mm/memory.c: copy_cow_page (copy_user_highpage: 1024 words). */
void __attribute__((noinline)) fastcall copy_cow_page(unsigned long from, unsigned long to, unsigned long address)
{
    (void)address;
    void *d = (void *)to;
    const void *s = (const void *)from;
    unsigned long n = PAGE_SIZE / 4;
    __asm__ volatile("rep movsl" : "+D" (d), "+S" (s), "+c" (n) : : "memory");
}

/* mm/memory.c: do_wp_page, for a write to a present, read-only page. */
int __attribute__((noinline)) fastcall do_wp_page(struct mm_struct_cow *mm, unsigned long address, pte_t *page_table)
{
    (void)mm;
    pte_t pte = *page_table;
    unsigned long old_page = pte & ~0xfffUL;
    cow_faults++;
    if (pfn_to_page(old_page)->count == 1) {
        /* Nobody else maps it: make it writable again, no copy. */
        *page_table = pte | _PAGE_RW;
        cow_reuses++;
        printk("  do_wp_page: frame %lu is not shared any more (count 1): write re-enabled, no copy\n",
               frame_number(old_page));
    } else {
        unsigned long new_page = alloc_page();
        copy_cow_page(old_page, new_page, address);
        pfn_to_page(old_page)->count--;             /* page_remove_rmap + page_cache_release */
        *page_table = new_page | _PAGE_RW | _PAGE_PRESENT;  /* break_cow */
        cow_copies++;
        printk("  do_wp_page: frame %lu is shared (count %d): copied to frame %lu, mapped writable\n",
               frame_number(old_page), pfn_to_page(old_page)->count + 1, frame_number(new_page));
    }
    __asm__ volatile("invlpg (%0)" : : "r" (address) : "memory");
    return 1;                                       /* VM_FAULT_MINOR */
}

/* arch/i386/mm/fault.c: do_page_fault, only the protection-fault path handle_mm_fault takes for COW. */
fastcall void do_page_fault(unsigned long *regs, unsigned long error_code)
{
    (void)regs;
    unsigned long address = read_cr2();
    struct mm_struct_cow *mm = current == &a_task ? &parent_mm : &child_mm;
    int n = cow_faults < 8 ? cow_faults : 7;
    fault_errors[n] = error_code;
    fault_addresses[n] = address;
    printk("  #PF in %s: cr2 %08lx, error code %lx (%s, %s)\n", current->comm, address, error_code,
           error_code & 1 ? "present" : "not present", error_code & 2 ? "write" : "read");
    if ((error_code & 3) == 3 && address - USER_BASE < USER_PAGES * PAGE_SIZE)
        do_wp_page(mm, address, &mm->pte_table[(address - USER_BASE) / PAGE_SIZE]);
    else
        machine_halt();                             /* a real oops */
}

/* switch_mm in __switch_to: the next task's page directory. */
fastcall task_t *__switch_to(task_t *prev_p, task_t *next_p)
{
    load_cr3(next_p == &a_task ? parent_pgd : child_pgd);
    return prev_p;
}

static void write_user(int page, const char *text)
{
    char *p = (char *)(USER_BASE + page * PAGE_SIZE);
    printk("%s writes page %d (%08lx)\n", current->comm, page, (unsigned long)p);
    while (*text) *p++ = *text++;
    *p = 0;
}

static unsigned long read_user(int page)
{
    return *(volatile unsigned long *)(USER_BASE + page * PAGE_SIZE);
}

static void to(task_t *next)
{
    task_t *prev = current, *last;
    switch_to(prev, next, last);
    (void)last;
}

static void __attribute__((noreturn, used)) child_main(void)
{
    printk("child runs (cr3 = child_pgd), reads page 2: %08lx\n", read_user(2));
    write_user(0, "child was here");
    write_user(0, "child writes again");     /* already its own copy: no fault */
    to(&a_task);
    write_user(1, "child, after the parent");
    for (int i = 0; i < USER_PAGES; i++) child_sees[i] = read_user(i);
    to(&a_task);
    for (;;) ;
}

void start_kernel(void)
{
    a_thread_union.thread_info.task = &a_task;
    b_thread_union.thread_info.task = &b_task;
    a_task.thread_info = &a_thread_union.thread_info;
    b_task.thread_info = &b_thread_union.thread_info;
    /* The #PF gate. */
    unsigned long handler = (unsigned long)page_fault;
    idt_table[14].a = (__KERNEL_CS << 16) | (handler & 0xffff);
    idt_table[14].b = (handler & 0xffff0000) | 0x8e00;
    __asm__ volatile("lidt %0" : : "m" (idt_descr));

    /* The parent's address space: four private, writable pages. */
    pgd_kernel(parent_pgd);
    parent_pgd[USER_BASE >> 22] = (unsigned long)parent_pte | _PAGE_RW | _PAGE_PRESENT;
    parent_mm = (struct mm_struct_cow){ parent_pgd, parent_pte };
    for (int i = 0; i < USER_PAGES; i++) {
        unsigned long frame = alloc_page();
        parent_pte[i] = frame | _PAGE_RW | _PAGE_PRESENT;
        *(unsigned long *)frame = 0x70617200 + i;   /* "\0rap" + page number: the parent's data */
    }
    load_cr3(parent_pgd);
    __asm__ volatile("movl %%cr4, %%eax; orl $0x10, %%eax; movl %%eax, %%cr4\n\t"   /* PSE */
                     "movl %%cr0, %%eax; orl $0x80010000, %%eax; movl %%eax, %%cr0"  /* PG, WP */
                     : : : "eax", "memory");
    printk("paging on, CR0.WP set; parent has %d writable pages at %08lx in frames 0-%d\n",
           USER_PAGES, USER_BASE, USER_PAGES - 1);

    /* fork: copy_mm -> dup_mmap -> copy_page_range. */
    pgd_kernel(child_pgd);
    child_pgd[USER_BASE >> 22] = (unsigned long)child_pte | _PAGE_RW | _PAGE_PRESENT;
    child_mm = (struct mm_struct_cow){ child_pgd, child_pte };
    copy_page_range(&child_mm, &parent_mm);
    printk("fork: page tables copied, %d pages shared read-only, frame counts %d %d %d %d, nothing copied\n",
           USER_PAGES, mem_map[0].count, mem_map[1].count, mem_map[2].count, mem_map[3].count);

    b_task.thread.eip = (unsigned long)child_main;
    b_task.thread.esp = (unsigned long)&b_thread_union + THREAD_SIZE - 64;
    to(&b_task);
    printk("parent runs (cr3 = parent_pgd), reads page 2: %08lx\n", read_user(2));
    write_user(0, "parent was here");
    write_user(1, "parent, page 1");
    to(&b_task);
    for (int i = 0; i < USER_PAGES; i++) parent_sees[i] = read_user(i);
    printk("parent's pages start %08lx %08lx %08lx %08lx\n", parent_sees[0], parent_sees[1], parent_sees[2], parent_sees[3]);
    printk("child's pages start  %08lx %08lx %08lx %08lx\n", child_sees[0], child_sees[1], child_sees[2], child_sees[3]);
    printk("write faults %lu: %lu copies, %lu writes re-enabled without a copy; page 2 (only read) and page 3 (untouched) never copied; frames used %d of %d\n",
           cow_faults, cow_copies, cow_reuses, frames_used, NR_FRAMES);
}
