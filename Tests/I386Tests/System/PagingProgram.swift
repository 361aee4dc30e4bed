import I386

/// A `SystemProgram` that builds its own 32-bit page tables (SDM Vol. 3A
/// §4.3) and turns paging on itself.
///
/// The prelude identity-maps, with 4 KB supervisor read/write pages, the first
/// 4 MB (GDT, TSS and task at 0x10000, the program from 0x00100000, its page
/// tables) through `low_table` and 0x01400000–0x017fffff (the kernel stack,
/// 0x015fa000–0x015fbfff) through `stack_table`; directory entry 256 points at
/// `test_table`, which maps nothing, so linear 0x40000000 (`TEST_LINEAR`)
/// onward is free for the test. Every directory entry it fills is
/// P|R/W|U/S: a page's own entry decides. It installs `pf_handler`, which
/// logs each #PF (error code, CR2, saved eip) and resumes at
/// `pf_resumes[n]` for the n-th fault (0: hlt). The body runs with paging
/// still off and enables it with `ENABLE_PAGING`.
///
/// Macros: `MAP table, linear, physical, flags` writes the entry for the page
/// of `linear` (eax, edx); `MAP_RANGE table, linear, count, flags` identity-maps
/// `count` pages (eax, ecx, edx); `ENABLE_PAGING` (eax); `RESUME n, label`;
/// `TO_RING3 label` (iret to ring 3 at `label` on `user_stack_top`, ds/es
/// USER_DS; the user stack page is mapped P|R/W|U/S). `int $0x80` from ring 3
/// halts in `exit_handler`. Two data frames, `frame_a` and `frame_b`, start
/// with 0xa0a0a0a0 and 0xb0b0b0b0 and end with 0xa0a0affc and 0xb0b0bffc.
struct PagingProgram {
    let program: SystemProgram
    var machine: Machine { program.machine }

    static let testLinear: UInt32 = 0x4000_0000

    /// Page-table entry bits.
    enum Entry {
        static let p: UInt32 = 0x001, rw: UInt32 = 0x002, us: UInt32 = 0x004
        static let a: UInt32 = 0x020, d: UInt32 = 0x040, ps: UInt32 = 0x080, g: UInt32 = 0x100
    }

    static let setup = """
            .set P, 0x001
            .set RW, 0x002
            .set US, 0x004
            .set A, 0x020
            .set D, 0x040
            .set PS, 0x080
            .set G, 0x100
            .set CR0_PG, 0x80000000
            .set CR0_WP, 0x00010000
            .set CR4_PSE, 0x10
            .set CR4_PGE, 0x80
            .set TEST_LINEAR, 0x40000000
            .macro MAP table, linear, physical, flags
                movl $\\linear, %eax
                shrl $12, %eax
                andl $0x3ff, %eax
                movl $\\physical, %edx
                andl $0xfffff000, %edx
                orl $\\flags, %edx
                movl %edx, \\table(,%eax,4)
            .endm
            .macro MAP_RANGE table, linear, count, flags
                movl $\\linear, %edx
                andl $0xfffff000, %edx
                orl $\\flags, %edx
                movl $\\linear, %eax
                shrl $12, %eax
                andl $0x3ff, %eax
                movl $\\count, %ecx
            101:
                movl %edx, \\table(,%eax,4)
                addl $0x1000, %edx
                incl %eax
                loop 101b
            .endm
            .macro ENABLE_PAGING
                movl $page_directory, %eax
                movl %eax, %cr3
                movl %cr0, %eax
                orl $CR0_PG, %eax
                movl %eax, %cr0
            .endm
            .macro RESUME n, label
                movl $\\label, pf_resumes+\\n*4
            .endm
            .macro TO_RING3 label
                movw $USER_DS, %ax
                movw %ax, %ds
                movw %ax, %es
                pushl $USER_DS
                pushl $user_stack_top
                pushl $0x202
                pushl $USER_CS
                pushl $\\label
                iret
            .endm
                GATE 14, pf_handler
                GATE 0x80, exit_handler, 0xee
                LOAD_IDT
                MAP_RANGE low_table, 0, 1024, P|RW
                MAP_RANGE stack_table, 0x01400000, 1024, P|RW
                MAP low_table, user_stack, user_stack, P|RW|US
                movl $low_table+P+RW+US, page_directory
                movl $stack_table+P+RW+US, page_directory+5*4
                movl $test_table+P+RW+US, page_directory+(TEST_LINEAR>>22)*4

        """

    static let support = """
        .text
        pf_handler:
            pushl %eax
            pushl %ebx
            movl pf_count, %ebx
            movl 8(%esp), %eax
            movl %eax, pf_errors(,%ebx,4)
            movl %cr2, %eax
            movl %eax, pf_addresses(,%ebx,4)
            movl 12(%esp), %eax
            movl %eax, pf_eips(,%ebx,4)
            movl pf_resumes(,%ebx,4), %eax
            incl pf_count
            testl %eax, %eax
            jz 1f
            movl %eax, 12(%esp)
            popl %ebx
            popl %eax
            addl $4, %esp
            iret
        1:  hlt
        exit_handler:
            hlt
        .data
        .align 4
        pf_count: .long 0
        pf_errors: .space 64
        pf_addresses: .space 64
        pf_eips: .space 64
        pf_resumes: .space 64
        .bss
        .align 4096
        page_directory: .space 4096
        low_table: .space 4096
        stack_table: .space 4096
        test_table: .space 4096
        user_stack: .space 4096
        user_stack_top:
        .data
        .align 4096
        frame_a: .long 0xa0a0a0a0
            .fill 1022, 4, 0
            .long 0xa0a0affc
        frame_b: .long 0xb0b0b0b0
            .fill 1022, 4, 0
            .long 0xb0b0bffc
        """

    /// Assembles `body`, which runs after the prelude with paging still off.
    init(_ body: String) throws {
        program = try SystemProgram(Self.setup + body + "\n" + Self.support)
    }

    func run(maxSteps: Int = 100_000) -> StopReason { program.run(maxSteps: maxSteps) }

    func symbol(_ name: String) -> UInt32 { program.symbol(name) }

    func word(_ address: UInt32) throws -> UInt32 { try program.word(address) }

    func word(_ name: String, plus offset: UInt32 = 0) throws -> UInt32 { try program.word(symbol(name) + offset) }

    /// The entry for linear `address` in the page table at symbol `table`.
    func entry(_ table: String, for address: UInt32) throws -> UInt32 {
        try word(table, plus: ((address >> 12) & 0x3FF) * 4)
    }

    /// The page-directory entry for linear `address`.
    func directoryEntry(for address: UInt32) throws -> UInt32 {
        try word("page_directory", plus: (address >> 22) * 4)
    }

    /// One logged page fault: the error code pushed, CR2, and the saved eip.
    struct PageFault: Equatable, CustomStringConvertible {
        var errorCode: UInt32
        var address: UInt32
        var eip: UInt32

        var description: String {
            "#PF(\(errorCode)) at 0x\(String(address, radix: 16)) from eip 0x\(String(eip, radix: 16))"
        }
    }

    /// The page faults `pf_handler` logged, in order.
    func pageFaults() throws -> [PageFault] {
        let count = Int(try word("pf_count"))
        return try (0..<min(count, 16)).map { index in
            let offset = UInt32(index * 4)
            return PageFault(errorCode: try word("pf_errors", plus: offset),
                             address: try word("pf_addresses", plus: offset),
                             eip: try word("pf_eips", plus: offset))
        }
    }
}
