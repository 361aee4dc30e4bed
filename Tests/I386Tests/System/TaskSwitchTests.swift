import I386
import Testing

/// Hardware task switching, SDM Vol. 3A §7.3: each program builds TSS
/// descriptors in the default GDT (task A is the default TSS at 0x10800,
/// selector 0x80, busy in TR), switches with ljmp, lcall, a task gate,
/// int, an exception or iret, and the tests read back what the switch
/// saved in the old TSS, loaded from the new one, and did to the busy bits,
/// the link field, NT, TR, CR0.TS and CR3.
///
/// Selectors the tests use: 0x90 task B (`tss_b`), 0x98 task C (`tss_c`),
/// 0xa0 a task gate, 0xa8 an LDT, 0xb0 a segment a test defines.
@Suite struct TaskSwitchTests {
    static let gdt: UInt32 = 0x1_0000
    /// The default TSS: task A.
    static let tssA: UInt32 = 0x1_0800
    static let stackTop: UInt32 = 0x015F_C000

    /// TSS offsets (SDM Figure 7-2).
    enum TSS {
        static let link: UInt32 = 0x00, cr3: UInt32 = 0x1C, eip: UInt32 = 0x20, eflags: UInt32 = 0x24
        static let eax: UInt32 = 0x28, segments: UInt32 = 0x48
    }

    /// Macros: `TSS_DESC selector, base, limit, access` writes a TSS
    /// descriptor into the GDT (eax, edx); `TASK_GATE address, selector,
    /// access` writes a task gate at `address` (the GDT or the IDT);
    /// `TSS_IMAGE start, stack, …` lays out a 32-bit TSS whose general
    /// registers are 0xa0a0a0a0, 0xc0c0c0c0, 0xd0d0d0d0, 0xb0b0b0b0, `stack`,
    /// 0xbbbbbbbb, 0x51515151, 0xd1d1d1d1 (it adds no alignment: a label before it names its first byte).
    static let macros = """
        .macro TSS_DESC selector, base, limit=0x67, access=0x89
            movl $\\base, %eax
            shll $16, %eax
            orl $\\limit, %eax
            movl %eax, GDT+\\selector
            movl $\\base, %eax
            movl %eax, %edx
            shrl $16, %eax
            andl $0xff, %eax
            andl $0xff000000, %edx
            orl %edx, %eax
            orl $(\\access << 8), %eax
            movl %eax, GDT+\\selector+4
        .endm
        .macro TASK_GATE address, selector, access=0x85
            movl $(\\selector << 16), \\address
            movl $(\\access << 8), \\address+4
        .endm
        .macro TSS_IMAGE start, stack, flags=0x2, code=KERNEL_CS, stack_segment=KERNEL_DS, data=KERNEL_DS, extra=KERNEL_DS, fseg=0, gseg=0, ldt=0, trap=0, cr3=0, link=0
            .long \\link, 0, 0, 0, 0, 0, 0
            .long \\cr3, \\start, \\flags
            .long 0xa0a0a0a0, 0xc0c0c0c0, 0xd0d0d0d0, 0xb0b0b0b0, \\stack, 0xbbbbbbbb, 0x51515151, 0xd1d1d1d1
            .long \\extra, \\code, \\stack_segment, \\data, \\fseg, \\gseg, \\ldt
            .word \\trap, 0x68
        .endm

        """

    /// Stacks for tasks B and C.
    static let stacks = """
        .data
        .balign 16
        .space 256
        stack_b_top:
        .space 256
        stack_c_top:
        """

    static func program(_ body: String) throws -> SystemProgram {
        try SystemProgram(macros + body + "\n" + stacks)
    }

    /// The access byte (P, DPL, S, type) of GDT entry `selector`.
    static func access(_ program: SystemProgram, _ selector: UInt32) throws -> UInt32 {
        (try program.word(gdt + (selector & ~7) + 4) >> 8) & 0xFF
    }

    // MARK: jmp, call, iret

    @Test func jmpToATSSSavesTheOldTaskAndLoadsTheNewOne() throws {
        let program = try Self.program("""
                TSS_DESC 0x90, tss_b
                movw $KERNEL_DS, %ax
                movw %ax, %fs
                movl $0x11111111, %eax
                movl $0x22222222, %ecx
                movl $0x33333333, %edx
                movl $0x44444444, %ebx
                movl $0x55555555, %ebp
                movl $0x66666666, %esi
                movl $0x77777777, %edi
                pushl $0x48d7               # NT and every arithmetic flag
                popfl
                ljmp $0x90, $0
            after_jump:
                hlt
            task_b:
                pushfl
                popl b_flags
                hlt
            .data
            b_flags: .long 0
            tss_b: TSS_IMAGE task_b, stack_b_top, extra=USER_DS, gseg=USER_DS, cr3=0xabc000, link=0x1234
            """)
        #expect(program.run() == .halted)
        let machine = program.machine
        let tssB = program.symbol("tss_b")
        // The old task's dynamic fields: eip after the jmp, EFLAGS as they were (a jmp keeps NT:
        // SDM Table 7-2), the general registers, the selectors.
        #expect(try program.words(Self.tssA + TSS.eip, count: 2) == [program.symbol("after_jump"), 0x48D7])
        #expect(try program.words(Self.tssA + TSS.eax, count: 8)
                == [0x1111_1111, 0x2222_2222, 0x3333_3333, 0x4444_4444, Self.stackTop, 0x5555_5555, 0x6666_6666, 0x7777_7777])
        #expect(try program.words(Self.tssA + TSS.segments, count: 6) == [0x68, 0x60, 0x68, 0x68, 0x68, 0])
        #expect(try program.word(Self.tssA + TSS.cr3) == 0)  // CR3 is not saved
        // The new task's state from its TSS; NT is the image's (clear).
        #expect([machine[.eax], machine[.ecx], machine[.edx], machine[.ebx], machine[.esp], machine[.ebp],
                 machine[.esi], machine[.edi]]
                == [0xA0A0_A0A0, 0xC0C0_C0C0, 0xD0D0_D0D0, 0xB0B0_B0B0, program.symbol("stack_b_top"),
                    0xBBBB_BBBB, 0x5151_5151, 0xD1D1_D1D1])
        #expect(try program.word(program.symbol("b_flags")) == 0x2)
        #expect([machine[.es], machine[.cs], machine[.ss], machine[.ds], machine[.fs], machine[.gs]]
                == [0x7B, 0x60, 0x68, 0x68, 0, 0x7B])
        #expect(machine.segment(.es).base == 0 && machine.segment(.es).limit == 0xFFFF_FFFF)
        // TR, the busy bits (A released, B busy), the link untouched, CR0.TS, CR3 not loaded (paging off).
        #expect(machine.taskRegister == SegmentRegister(selector: 0x90, base: tssB, limit: 0x67, attributes: 0x8B))
        #expect(try Self.access(program, 0x80) == 0x89)
        #expect(try Self.access(program, 0x90) == 0x8B)
        #expect(try program.word(tssB + TSS.link) == 0x1234)
        #expect(machine[.cr0] & 0x8 != 0)
        #expect(machine[.cr3] == 0)
    }

    @Test func callToATSSNestsAndIretReturnsThroughTheLink() throws {
        let program = try Self.program("""
                TSS_DESC 0x90, tss_b
                movl $0x0a0a0a0a, %ebx
                lcall $0x90, $0
            after_call:
                pushfl
                popl a_flags
                hlt
            task_b:
                pushfl
                popl b_flags
                movb GDT+0x85, %al
                movb %al, a_access_in_b
                movl $0xb0b0, %eax
                iret
            after_iret:
                hlt
            .data
            a_flags: .long 0
            b_flags: .long 0
            a_access_in_b: .long 0
            tss_b: TSS_IMAGE task_b, stack_b_top
            """)
        #expect(program.run() == .halted)
        let machine = program.machine
        let tssB = program.symbol("tss_b")
        // In B: NT set, the link names A, A stays busy.
        #expect(try program.word(program.symbol("b_flags")) == 0x4002)
        #expect(try program.word(tssB + TSS.link) == 0x80)
        #expect(try program.word(program.symbol("a_access_in_b")) == 0x8B)
        // Back in A: its registers from its TSS, NT clear, TR and the busy bits back.
        #expect(machine.taskRegister.selector == 0x80)
        #expect(machine[.ebx] == 0x0A0A_0A0A)
        #expect(machine[.esp] == Self.stackTop)
        #expect(try program.word(program.symbol("a_flags")) & EFLAGS.nt == 0)
        #expect(try program.word(Self.tssA + TSS.eip) == program.symbol("after_call"))
        #expect(try Self.access(program, 0x80) == 0x8B)
        #expect(try Self.access(program, 0x90) == 0x89)
        // iret saved B: eip after the iret, NT cleared in the saved EFLAGS, eax.
        #expect(try program.words(tssB + TSS.eip, count: 3) == [program.symbol("after_iret"), 0x2, 0xB0B0])
        #expect(machine[.cr0] & 0x8 != 0)
    }

    @Test(arguments: ["ljmp", "lcall"])
    func farTransferThroughATaskGateInTheGDT(instruction: String) throws {
        let program = try Self.program("""
                TSS_DESC 0x90, tss_b
                TASK_GATE GDT+0xa0, 0x90
                \(instruction) $0xa0, $0
            after_transfer:
                hlt
            task_b:
                hlt
            .data
            tss_b: TSS_IMAGE task_b, stack_b_top
            """)
        #expect(program.run() == .halted)
        let nests = instruction == "lcall"
        #expect(program.machine.taskRegister.selector == 0x90)
        #expect(program.machine.eip == program.symbol("task_b") + 1)
        #expect(try program.word(Self.tssA + TSS.eip) == program.symbol("after_transfer"))
        #expect(try program.word(program.symbol("tss_b") + TSS.link) == (nests ? 0x80 : 0))
        #expect(try Self.access(program, 0x80) == (nests ? 0x8B : 0x89))
        #expect(try Self.access(program, 0x90) == 0x8B)
        #expect(program.machine[.eflags] & EFLAGS.nt == (nests ? EFLAGS.nt : 0))
    }

    // MARK: Interrupts and exceptions through task gates

    @Test func anExceptionThroughAnIDTTaskGatePushesItsErrorCodeOnTheNewStack() throws {
        let program = try Self.program("""
                TSS_DESC 0x90, tss_b
                TASK_GATE idt+13*8, 0x90
                LOAD_IDT
                movw $0x1234, %ax
            gp_site:
                movw %ax, %ds
                hlt
            task_b:
                popl %ebx
                hlt
            .data
            tss_b: TSS_IMAGE task_b, stack_b_top
            """)
        #expect(program.run() == .halted)
        let machine = program.machine
        let tssB = program.symbol("tss_b")
        #expect(machine[.ebx] == 0x1234)  // the error code, popped from B's stack
        #expect(machine[.esp] == program.symbol("stack_b_top"))
        // A is saved at the faulting instruction, B nests in it.
        #expect(try program.word(Self.tssA + TSS.eip) == program.symbol("gp_site"))
        #expect(try program.word(Self.tssA + TSS.eax) == 0x1234)
        #expect(try program.word(tssB + TSS.link) == 0x80)
        #expect(machine[.eflags] & EFLAGS.nt != 0)
        #expect(try Self.access(program, 0x80) == 0x8B)
        #expect(machine.deliveredEvents.map(\.vector) == [13])
        #expect(machine.deliveredEvents.map(\.errorCode) == [0x1234])
        #expect(machine.deliveredEvents.map(\.eip) == [program.symbol("gp_site")])
    }

    @Test func softwareInterruptsThroughATaskGateReenterTheHandlerTask() throws {
        // The classic handler task: iret back, and the next switch resumes after the iret.
        let program = try Self.program("""
                TSS_DESC 0x90, tss_b
                TASK_GATE idt+0x40*8, 0x90
                LOAD_IDT
                int $0x40
            after_first:
                int $0x40
            after_second:
                hlt
            task_b:
                incl count
                iret
            after_iret:
                jmp task_b
            .data
            count: .long 0
            tss_b: TSS_IMAGE task_b, stack_b_top
            """)
        #expect(program.run() == .halted)
        let machine = program.machine
        #expect(try program.word(program.symbol("count")) == 2)
        #expect(machine.taskRegister.selector == 0x80)
        #expect(machine.eip == program.symbol("after_second") + 1)
        #expect(try program.word(program.symbol("tss_b") + TSS.eip) == program.symbol("after_iret"))
        #expect(try program.word(Self.tssA + TSS.eip) == program.symbol("after_second"))
        #expect(try Self.access(program, 0x80) == 0x8B)
        #expect(try Self.access(program, 0x90) == 0x89)
        #expect(machine.deliveredEvents.map(\.eip) == [program.symbol("after_first"), program.symbol("after_second")])
    }

    /// Asserts INTR until the CPU acknowledges `vector`.
    final class OneInterrupt: InterruptAcknowledging {
        let vector: UInt8
        weak var machine: Machine?
        init(vector: UInt8, machine: Machine) {
            self.vector = vector
            self.machine = machine
            machine.setInterruptRequest(true)
        }
        func acknowledgeInterrupt() -> UInt8? {
            machine?.setInterruptRequest(false)
            return vector
        }
    }

    @Test func aHardwareInterruptThroughATaskGate() throws {
        let program = try Self.program("""
                TSS_DESC 0x90, tss_b
                TASK_GATE idt+0x20*8, 0x90
                LOAD_IDT
                sti
                nop                         # in sti's shadow
            interrupted:
                hlt
            task_b:
                hlt
            .data
            tss_b: TSS_IMAGE task_b, stack_b_top
            """)
        let controller = OneInterrupt(vector: 0x20, machine: program.machine)
        program.machine.interruptController = controller
        #expect(program.run() == .halted)
        let machine = program.machine
        #expect(machine.taskRegister.selector == 0x90)
        #expect(machine.eip == program.symbol("task_b") + 1)
        #expect(try program.word(Self.tssA + TSS.eip) == program.symbol("interrupted"))
        #expect(try program.word(Self.tssA + TSS.eflags) & EFLAGS.if != 0)
        #expect(try program.word(program.symbol("tss_b") + TSS.link) == 0x80)
        #expect(machine[.esp] == program.symbol("stack_b_top"))  // no error code
        #expect(machine.deliveredEvents.map(\.vector) == [0x20])
    }

    // MARK: CR3, the T bit

    @Test func theNewTaskGetsItsAddressSpaceFromCR3() throws {
        let program = try PagingProgram(Self.macros + """
                MAP test_table, TEST_LINEAR, frame_a, P|RW
                MAP table_b, TEST_LINEAR, frame_b, P|RW
                movl $page_directory, %esi   # B's directory: A's, with table_b for TEST_LINEAR
                movl $directory_b, %edi
                movl $1024, %ecx
                rep movsl
                movl $table_b+P+RW+US, directory_b+(TEST_LINEAR>>22)*4
                TSS_DESC 0x90, tss_b
                ENABLE_PAGING
                movl TEST_LINEAR, %eax
                movl %eax, seen_by_a
                ljmp $0x90, $0
            task_b:
                movl TEST_LINEAR, %eax
                movl %eax, seen_by_b
                hlt
            .data
            seen_by_a: .long 0
            seen_by_b: .long 0
            tss_b: TSS_IMAGE task_b, stack_b_top, cr3=directory_b
            \(Self.stacks)
            .bss
            .balign 4096
            directory_b: .space 4096
            table_b: .space 4096
            """)
        #expect(program.run() == .halted)
        #expect(try program.word("seen_by_a") == 0xA0A0_A0A0)
        #expect(try program.word("seen_by_b") == 0xB0B0_B0B0)
        #expect(program.machine[.cr3] == program.symbol("directory_b"))
        #expect(try program.word(Self.tssA + TSS.cr3) == 0)  // not saved
        #expect(try program.pageFaults().isEmpty)
    }

    @Test func theTBitTrapsBeforeTheNewTasksFirstInstruction() throws {
        let program = try Self.program("""
                GATE 1, db_handler
                LOAD_IDT
                TSS_DESC 0x90, tss_b
                ljmp $0x90, $0
            task_b:
                movl $1, b_ran
                hlt
            db_handler:
                movl b_ran, %eax
                movl (%esp), %esi
                movl %dr6, %edi
                hlt
            .data
            b_ran: .long 0
            tss_b: TSS_IMAGE task_b, stack_b_top, trap=1
            """)
        #expect(program.run() == .halted)
        let machine = program.machine
        #expect(machine[.eax] == 0)  // B's first instruction has not run
        #expect(machine[.esi] == program.symbol("task_b"))
        #expect(machine[.edi] & 0x8000 != 0)  // DR6.BT
        #expect(machine.taskRegister.selector == 0x90)
        #expect(machine.deliveredEvents.map(\.vector) == [1])
        #expect(machine.deliveredEvents.map(\.eip) == [program.symbol("task_b")])
    }

    // MARK: Faults before the commit point (SDM Table 7-1 rows 1–3, JMP's checks)

    struct Refusal: CustomTestStringConvertible, Sendable {
        var name: String
        var setup: String
        var target: Int
        var vector: Int
        var errorCode: UInt32
        var testDescription: String { name }
    }

    static let refusals: [Refusal] = [
        Refusal(name: "not present", setup: "TSS_DESC 0x90, tss_b, 0x67, 0x09", target: 0x90, vector: 11, errorCode: 0x90),
        Refusal(name: "busy", setup: "TSS_DESC 0x90, tss_b, 0x67, 0x8b", target: 0x90, vector: 13, errorCode: 0x90),
        // Table 7-1 checks presence before busy.
        Refusal(name: "busy and not present", setup: "TSS_DESC 0x90, tss_b, 0x67, 0x0b", target: 0x90, vector: 11,
                errorCode: 0x90),
        Refusal(name: "limit 0x66", setup: "TSS_DESC 0x90, tss_b, 0x66", target: 0x90, vector: 10, errorCode: 0x90),
        Refusal(name: "RPL above DPL", setup: "TSS_DESC 0x90, tss_b", target: 0x93, vector: 13, errorCode: 0x90),
        Refusal(name: "16-bit TSS (not modelled)", setup: "TSS_DESC 0x90, tss_b, 0x67, 0x81", target: 0x90, vector: 13,
                errorCode: 0x90),
        Refusal(name: "the current task", setup: "", target: 0x80, vector: 13, errorCode: 0x80),
        Refusal(name: "task gate not present", setup: "TSS_DESC 0x90, tss_b\nTASK_GATE GDT+0xa0, 0x90, 0x05",
                target: 0xA0, vector: 11, errorCode: 0xA0),
        Refusal(name: "task gate to a busy TSS", setup: "TASK_GATE GDT+0xa0, 0x80", target: 0xA0, vector: 13,
                errorCode: 0x80),
        Refusal(name: "task gate to a data segment", setup: "TASK_GATE GDT+0xa0, 0x68", target: 0xA0, vector: 13,
                errorCode: 0x68),
        Refusal(name: "task gate to a TSS in an LDT", setup: "TASK_GATE GDT+0xa0, 0x94", target: 0xA0, vector: 13,
                errorCode: 0x94),
        Refusal(name: "task gate past the GDT", setup: "TASK_GATE GDT+0xa0, 0x100", target: 0xA0, vector: 13,
                errorCode: 0x100),
    ]

    @Test(arguments: refusals)
    func aRefusedSwitchLeavesTheOldTaskAsItWas(_ refusal: Refusal) throws {
        let program = try Self.program("""
                GATE 10, fault_handler
                GATE 11, fault_handler
                GATE 13, fault_handler
                LOAD_IDT
                \(refusal.setup)
            jump_site:
                ljmp $\(refusal.target), $0
                hlt
            task_b:
                hlt
            fault_handler:
                popl %ebx
                popl %esi
                hlt
            .data
            tss_b: TSS_IMAGE task_b, stack_b_top
            """)
        #expect(program.run() == .halted)
        let machine = program.machine
        #expect(machine.deliveredEvents.map(\.vector) == [refusal.vector])
        #expect(machine[.ebx] == refusal.errorCode)
        #expect(machine[.esi] == program.symbol("jump_site"))
        #expect(machine.taskRegister.selector == 0x80)
        #expect(try program.word(Self.tssA + TSS.eip) == 0)  // nothing saved
        #expect(try Self.access(program, 0x80) == 0x8B)
        #expect(machine[.cr0] & 0x8 == 0)
    }

    @Test func iretWithNTRefusesALinkThatIsNotABusyTSS() throws {
        for (link, vector, code) in [(0x90, 10, 0x90), (0x94, 10, 0x94), (0x100, 10, 0x100), (0x98, 11, 0x98)] as [(Int, Int, UInt32)] {
            let program = try Self.program("""
                    GATE 10, fault_handler
                    GATE 11, fault_handler
                    LOAD_IDT
                    TSS_DESC 0x90, tss_b                # available, not busy
                    TSS_DESC 0x98, tss_b, 0x67, 0x0b    # busy, not present
                    movw $\(link), TSS
                    pushfl
                    orl $0x4000, (%esp)
                    popfl
                iret_site:
                    iret
                fault_handler:
                    popl %ebx
                    popl %esi
                    hlt
                task_b:
                    hlt
                .data
                tss_b: TSS_IMAGE task_b, stack_b_top
                """)
            #expect(program.run() == .halted)
            #expect(program.machine.deliveredEvents.map(\.vector) == [vector])
            #expect(program.machine[.ebx] == code)
            #expect(program.machine[.esi] == program.symbol("iret_site"))
            #expect(program.machine.taskRegister.selector == 0x80)
        }
    }

    // MARK: Faults after the commit point (SDM Table 7-1 rows 5–17), in the new task

    struct LateFault: CustomTestStringConvertible, Sendable {
        var name: String
        /// TSS_IMAGE keyword arguments for task B.
        var image: String
        var vector: Int
        var errorCode: UInt32
        /// The descriptor the test puts at GDT 0xb0 (low and high words).
        var segment: (low: UInt32, high: UInt32) = (0, 0)
        var testDescription: String { name }
    }

    static let notPresentData: (low: UInt32, high: UInt32) = (0x0000_FFFF, 0x00CF_1200)

    static let lateFaults: [LateFault] = [
        LateFault(name: "LDT is a code segment", image: "ldt=0x60", vector: 10, errorCode: 0x60),
        LateFault(name: "LDT selector in an LDT", image: "ldt=0x8c", vector: 10, errorCode: 0x8C),
        LateFault(name: "LDT past the GDT", image: "ldt=0x100", vector: 10, errorCode: 0x100),
        LateFault(name: "LDT not present", image: "ldt=0xa8", vector: 10, errorCode: 0xA8),
        LateFault(name: "CS is data", image: "code=0x68", vector: 10, errorCode: 0x68),
        LateFault(name: "CS null", image: "code=0", vector: 10, errorCode: 0),
        // Row 6 (CS DPL against RPL) comes before the SS rows, which would fail too at CPL 3.
        LateFault(name: "CS RPL 3, DPL 0", image: "code=0x63", vector: 10, errorCode: 0x60),
        LateFault(name: "CS not present", image: "code=0xb0", vector: 11, errorCode: 0xB0,
                  segment: (0x0000_FFFF, 0x00CF_1A00)),
        LateFault(name: "SS null", image: "stack_segment=0", vector: 10, errorCode: 0),
        LateFault(name: "SS is code", image: "stack_segment=0x60", vector: 10, errorCode: 0x60),
        LateFault(name: "SS DPL 3 at CPL 0", image: "stack_segment=0x7b", vector: 10, errorCode: 0x78),
        LateFault(name: "SS RPL 3, DPL 0", image: "stack_segment=0x6b", vector: 10, errorCode: 0x68),
        LateFault(name: "SS not present", image: "stack_segment=0xb0", vector: 12, errorCode: 0xB0,
                  segment: notPresentData),
        LateFault(name: "DS is a TSS", image: "data=0x80", vector: 10, errorCode: 0x80),
        LateFault(name: "DS past the GDT", image: "data=0x100", vector: 10, errorCode: 0x100),
        LateFault(name: "DS not present", image: "data=0xb0", vector: 11, errorCode: 0xB0, segment: notPresentData),
        LateFault(name: "ES execute-only code", image: "extra=0xb0", vector: 10, errorCode: 0xB0,
                  segment: (0x0000_FFFF, 0x00CF_9800)),
        LateFault(name: "FS RPL 3 above DPL 0", image: "fseg=0x6b", vector: 10, errorCode: 0x68),
        LateFault(name: "GS through a null LDT", image: "gseg=0x0c", vector: 10, errorCode: 0x0C),
        // Order: the LDT before SS, SS before DS, DS before ES.
        LateFault(name: "LDT and SS bad", image: "ldt=0x100, stack_segment=0", vector: 10, errorCode: 0x100),
        LateFault(name: "SS and DS bad", image: "stack_segment=0x60, data=0x80", vector: 10, errorCode: 0x60),
        LateFault(name: "DS not present, ES bad", image: "data=0xb0, extra=0x80", vector: 11, errorCode: 0xB0,
                  segment: notPresentData),
        // eip past CS's limit (64 KB, byte-granular): #GP(0).
        LateFault(name: "eip past CS limit", image: "code=0xb0", vector: 13, errorCode: 0,
                  segment: (0x0000_FFFF, 0x0000_9A00)),
    ]

    @Test(arguments: lateFaults)
    func aFaultAfterTheCommitPointHappensInTheNewTask(_ fault: LateFault) throws {
        // #TS, #NP, #SS and #GP go through task gates to task C, as the SDM advises for #TS.
        // GDT 0xa8 is an LDT descriptor, not present; 0xb0 is the fault's segment.
        let program = try Self.program("""
                TSS_DESC 0x90, tss_b
                TSS_DESC 0x98, tss_c
                TASK_GATE idt+10*8, 0x98
                TASK_GATE idt+11*8, 0x98
                TASK_GATE idt+12*8, 0x98
                TASK_GATE idt+13*8, 0x98
                LOAD_IDT
                movl $0x0000ffff, GDT+0xa8
                movl $0x00000200, GDT+0xac
                movl $\(fault.segment.low), GDT+0xb0
                movl $\(fault.segment.high), GDT+0xb4
                ljmp $0x90, $0
                hlt
            task_b:
                hlt
            task_c:
                popl %ebx
                hlt
            .data
            tss_b: TSS_IMAGE task_b, stack_b_top, \(fault.image)
            tss_c: TSS_IMAGE task_c, stack_c_top
            """)
        #expect(program.run() == .halted)
        let machine = program.machine
        #expect(machine.deliveredEvents.map(\.vector) == [fault.vector])
        #expect(machine.deliveredEvents.map(\.errorCode) == [fault.errorCode])
        #expect(machine[.ebx] == fault.errorCode)
        // The switch to B completed: the fault returns to B's first instruction, and C nests in B.
        #expect(machine.deliveredEvents.map(\.eip) == [program.symbol("task_b")])
        #expect(try program.word(program.symbol("tss_c") + TSS.link) == 0x90)
        #expect(machine.taskRegister.selector == 0x98)
        #expect(try [0x80, 0x90, 0x98].map { try Self.access(program, $0) } == [0x89, 0x8B, 0x8B])
        #expect(machine[.cr0] & 0x8 != 0)
    }

    @Test func aFaultInTheNewTaskWhileDeliveringAnExceptionBecomesADoubleFault() throws {
        // #GP through a task gate to B, whose DS is a TSS: #TS(0x80|EXT) in B, contributory twice: #DF, to C.
        let program = try Self.program("""
                TSS_DESC 0x90, tss_b
                TSS_DESC 0x98, tss_c
                TASK_GATE idt+13*8, 0x90
                TASK_GATE idt+8*8, 0x98
                LOAD_IDT
                movw $0x1234, %ax
                movw %ax, %ds
                hlt
            task_b:
                hlt
            task_c:
                popl %ebx
                hlt
            .data
            tss_b: TSS_IMAGE task_b, stack_b_top, data=0x80
            tss_c: TSS_IMAGE task_c, stack_c_top
            """)
        program.machine[.ebx] = 0xFFFF_FFFF
        #expect(program.run() == .halted)
        let machine = program.machine
        #expect(machine[.ebx] == 0)
        #expect(machine.deliveredEvents.map(\.vector) == [8])
        #expect(machine.deliveredEvents.map(\.eip) == [program.symbol("task_b")])
        #expect(machine.taskRegister.selector == 0x98)
        #expect(try program.word(program.symbol("tss_c") + TSS.link) == 0x90)
        #expect(try program.word(program.symbol("tss_b") + TSS.link) == 0x80)
    }
}
