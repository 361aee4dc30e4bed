import I386
import Testing

/// The instructions kstep executes because the modelled P6 does (SDM Vol. 2
/// and 3 for the rules): pause and the hint NOPs, salc, int1, invd/wbinvd,
/// rdpmc with CR4.PCE, rdtsc with CR4.TSD, the undefined opcodes' #UD
/// through the IDT, I/O breakpoints, and the CR0/CR4 checks.
@Suite struct P6InstructionTests {
    static let toRing3 = PrivilegeTests.toRing3
    static let userStack = PrivilegeTests.userStack

    // MARK: NOPs that are not 0x90

    @Test(arguments: ["pause", "rep; nop", "nopl (%eax)", "nopw 0x12345678(%eax,%ecx,4)", ".byte 0x0f, 0x1f, 0xc0",
                      ".byte 0x0f, 0x18, 0x00", ".byte 0x0f, 0x18, 0x38", ".byte 0x0f, 0x19, 0xc1",
                      ".byte 0x0f, 0x1e, 0xfb", ".byte 0xf3, 0x0f, 0x1e, 0xfb", ".byte 0x0f, 0x1c, 0x04, 0x24"])
    func hintNOPsTouchNeitherRegistersNorMemory(text: String) throws {
        // eax and ecx point at unmapped memory: an access would be #PF.
        let snippet = try Snippet("movl $0xdead0000, %eax; movl $0x100, %ecx; stc; \(text); movl $1, %esi")
        #expect(snippet.run() == .endOfCode)
        #expect(snippet.machine[.esi] == 1)
        #expect(snippet.machine[.eax] == 0xDEAD_0000 && snippet.machine[.ecx] == 0x100)
        #expect(snippet.machine.eflags & 1 == 1)  // CF kept
    }

    @Test func lockedHintNOPIsUndefined() throws {
        let snippet = try Snippet(".byte 0xf0, 0x0f, 0x1f, 0x00")
        guard case .exception(.invalidOpcode(let bytes)) = snippet.run() else {
            Issue.record("lock nopl did not raise #UD")
            return
        }
        #expect(bytes.array == [0xF0, 0x0F, 0x1F, 0x00])
    }

    // MARK: salc

    @Test func salcCopiesTheCarryIntoAL() throws {
        let snippet = try Snippet("movl $0x12345678, %eax; stc; .byte 0xd6; movl %eax, %ebx; clc; .byte 0xd6; pushfl; popl %edx")
        #expect(snippet.run() == .endOfCode)
        #expect(snippet.machine[.ebx] == 0x1234_56FF)
        #expect(snippet.machine[.eax] == 0x1234_5600)
        #expect(snippet.machine[.edx] & 1 == 0)  // flags untouched
    }

    // MARK: int1

    @Test func int1IsADebugTrapThroughAGateOfAnyDPL() throws {
        // The gate has DPL 0 and the caller runs in ring 3: int $1 would be
        // #GP, int1 is delivered (SDM: INT1 is not a software interrupt).
        let program = try SystemProgram("""
                GATE 1, db_handler
                GATE 13, gp_handler
                LOAD_IDT
                movl %db6, %eax
                movl %eax, dr6_before
            \(Self.toRing3)
            user_code:
                int1
            after_int1:
                int $1
            after_int:
                hlt
            db_handler:
                movl (%esp), %eax
                movl %eax, db_eip
                movl %db6, %eax
                movl %eax, dr6_in_handler
                iret
            gp_handler:
                movl (%esp), %eax
                movl %eax, gp_code
                hlt
            \(Self.userStack)
            dr6_before: .long 0
            dr6_in_handler: .long 0
            db_eip: .long 0
            gp_code: .long 0
            """)
        #expect(program.run() == .halted)
        #expect(try program.word(program.symbol("db_eip")) == program.symbol("after_int1"))
        #expect(try program.word(program.symbol("dr6_in_handler")) == program.word(program.symbol("dr6_before")))
        #expect(try program.word(program.symbol("gp_code")) == 1 << 3 | 2)  // int $1: the gate's DPL is checked
        #expect(program.machine.deliveredEvents.map(\.vector) == [1, 13])
    }

    @Test func int1WithoutAnIDTStopsWithDebugAtTheInstruction() throws {
        let snippet = try Snippet("nop; int1; nop")
        #expect(snippet.run() == .exception(.debug))
        #expect(snippet.machine.eip == Snippet.origin + 1)
    }

    // MARK: Undefined opcodes

    @Test(arguments: [("ud2", [UInt8(0x0F), 0x0B]), ("ud1 %eax, %ecx", [0x0F, 0xB9, 0xC8]),
                      ("ud1 4(%esp), %eax", [0x0F, 0xB9, 0x44, 0x24, 0x04]), (".byte 0x0f, 0xff", [0x0F, 0xFF]),
                      ("lfence", [0x0F, 0xAE, 0xE8]), ("clflush (%eax)", [0x0F, 0xAE, 0x38]),
                      ("movq %mm0, %mm1", [0x0F, 0x6F, 0xC8]), ("rsm", [0x0F, 0xAA])])
    func undefinedOpcodesFaultThroughTheIDTAtTheInstruction(text: String, bytes: [UInt8]) throws {
        let program = try SystemProgram("""
                GATE 6, ud_handler
                LOAD_IDT
            faulting:
                \(text)
                hlt
            ud_handler:
                movl (%esp), %eax
                movl %eax, ud_eip
                addl $\(bytes.count), (%esp)
                iret
            .data
            ud_eip: .long 0
            """)
        #expect(program.run() == .halted)
        #expect(try program.word(program.symbol("ud_eip")) == program.symbol("faulting"))
        #expect(program.machine.deliveredEvents.map(\.vector) == [6])
        #expect(try program.machine.read(program.symbol("faulting"), count: bytes.count) == bytes)
    }

    @Test func undefinedOpcodeWithoutAnIDTStopsWithItsBytes() throws {
        let snippet = try Snippet("nop; lfence")
        #expect(snippet.run() == .exception(.invalidOpcode(bytes: [0x0F, 0xAE, 0xE8])))
        #expect(snippet.machine.eip == Snippet.origin + 1)
        #expect(snippet.machine.instructionCount == 1)
    }

    // MARK: Cache control, counters, the time-stamp counter

    @Test(arguments: ["invd", "wbinvd"])
    func cacheInstructionsAreRingZeroNops(text: String) throws {
        let snippet = try Snippet("movl $5, %eax; \(text); movl $6, %ebx")
        #expect(snippet.run() == .endOfCode)
        #expect(snippet.machine[.eax] == 5 && snippet.machine[.ebx] == 6)
    }

    /// Runs `body` in ring 3 after `setup` in ring 0; returns the #GP error code, or nil if none.
    static func ring3(setup: String = "", _ body: String) throws -> (program: SystemProgram, gpCode: UInt32?) {
        let program = try SystemProgram("""
                GATE 6, done_handler
                GATE 13, gp_handler
                LOAD_IDT
                \(setup)
            \(toRing3)
            user_code:
                \(body)
                movl $0x600d, %esi
                ud2                            # back to ring 0 (hlt would be #GP here)
            done_handler:
                hlt
            gp_handler:
                popl gp_code
                movl $1, gp_seen
                hlt
            \(userStack)
            gp_code: .long 0
            gp_seen: .long 0
            """)
        _ = program.run()
        let seen = try program.word(program.symbol("gp_seen")) != 0
        return (program, seen ? try program.word(program.symbol("gp_code")) : nil)
    }

    @Test(arguments: ["invd", "wbinvd"])
    func cacheInstructionsAreGeneralProtectionInRing3(text: String) throws {
        #expect(try Self.ring3(text).gpCode == 0)
    }

    @Test func rdpmcReadsTheFortyBitCounterWrmsrSetsSignExtended() throws {
        let snippet = try Snippet("""
            movl $0xc1, %ecx; movl $0x80000001, %eax; xorl %edx, %edx; wrmsr
            movl $0xc2, %ecx; movl $0x12345678, %eax; wrmsr
            xorl %ecx, %ecx; rdpmc; movl %eax, %esi; movl %edx, %edi
            movl $1, %ecx; rdpmc
            """)
        #expect(snippet.run() == .endOfCode)
        #expect(snippet.machine[.esi] == 0x8000_0001 && snippet.machine[.edi] == 0xFF)  // bits 39:32 from bit 31
        #expect(snippet.machine[.eax] == 0x1234_5678 && snippet.machine[.edx] == 0)
    }

    @Test func rdpmcOfAMissingCounterIsGeneralProtection() throws {
        let snippet = try Snippet("movl $2, %ecx; rdpmc")
        #expect(snippet.run() == .exception(.generalProtection(errorCode: 0)))
    }

    @Test func rdpmcInRing3NeedsCR4PCE() throws {
        #expect(try Self.ring3("xorl %ecx, %ecx; rdpmc").gpCode == 0)
        let allowed = try Self.ring3(setup: "movl $0x100, %eax; movl %eax, %cr4", "xorl %ecx, %ecx; rdpmc")
        #expect(allowed.gpCode == nil)
        #expect(allowed.program.machine[.esi] == 0x600D)
    }

    @Test func rdtscInRing3FaultsOnlyWithCR4TSD() throws {
        let free = try Self.ring3("rdtsc")
        #expect(free.gpCode == nil && free.program.machine[.esi] == 0x600D)
        #expect(try Self.ring3(setup: "movl $4, %eax; movl %eax, %cr4", "rdtsc").gpCode == 0)
        let ring0 = try Snippet("movl $4, %eax; movl %eax, %cr4; nop; rdtsc")
        #expect(ring0.run() == .endOfCode)
        #expect(ring0.machine[.eax] == 3)
    }

    @Test func eventSelectsAreReadBack() throws {
        let snippet = try Snippet("movl $0x187, %ecx; movl $0x4300c0, %eax; xorl %edx, %edx; wrmsr; xorl %eax, %eax; rdmsr")
        #expect(snippet.run() == .endOfCode)
        #expect(snippet.machine[.eax] == 0x43_00C0)
    }

    // MARK: Control registers

    @Test(arguments: [UInt32(1) << 0, 1 << 1, 1 << 5, 1 << 6, 1 << 10, 1 << 13, 1 << 31])
    func cr4BitsOfAbsentFeaturesAreReserved(bit: UInt32) throws {
        let snippet = try Snippet("movl $\(bit), %eax; movl %eax, %cr4")
        #expect(snippet.run() == .exception(.generalProtection(errorCode: 0)))
        #expect(snippet.machine[.cr4] == 0)
    }

    @Test func cr4TakesEveryBitOfThePentiumII() throws {
        let snippet = try Snippet("movl $0x39c, %eax; movl %eax, %cr4; movl %cr4, %ebx")
        #expect(snippet.run() == .endOfCode)
        #expect(snippet.machine[.ebx] == 0x39C)
    }

    @Test(arguments: [UInt32(0x8000_0010), 0x2000_0011])  // PG without PE; NW without CD
    func invalidCR0CombinationsAreGeneralProtection(value: UInt32) throws {
        let snippet = try Snippet("movl $\(value), %eax; movl %eax, %cr0")
        #expect(snippet.run() == .exception(.generalProtection(errorCode: 0)))
        #expect(snippet.machine[.cr0] == 0x11)
    }

    // MARK: I/O breakpoints

    @Test func ioBreakpointTrapsAfterTheAccessWithDebuggingExtensions() throws {
        let program = try SystemProgram("""
                GATE 1, db_handler
                LOAD_IDT
                movl $8, %eax
                movl %eax, %cr4                # DE
                movl $0xe8, %eax
                movl %eax, %db1                # port 0xe8…0xeb
                movl $0x00e00004, %eax         # L1, R/W = 10 (I/O), 4 bytes
                movl %eax, %db7
                movb $'x', %al
                outb %al, $0x80                # another port: nothing
                outb %al, $0xe9
            after_out:
                hlt
            db_handler:
                movl (%esp), %eax
                movl %eax, db_eip
                movl %db6, %eax
                movl %eax, db_dr6
                iret
            .data
            db_eip: .long 0
            db_dr6: .long 0
            """)
        #expect(program.run() == .halted)
        #expect(program.machine.deliveredEvents.map(\.vector) == [1])
        #expect(try program.word(program.symbol("db_eip")) == program.symbol("after_out"))
        #expect(try program.word(program.symbol("db_dr6")) & 0xF == 2)  // B1
    }

    @Test func ioBreakpointsNeedDebuggingExtensions() throws {
        let program = try SystemProgram("""
                GATE 1, db_handler
                LOAD_IDT
                movl $0xe9, %eax
                movl %eax, %db0
                movl $0x00020001, %eax         # L0, R/W = 10, CR4.DE clear
                movl %eax, %db7
                outb %al, $0xe9
                hlt
            db_handler:
                iret
            """)
        #expect(program.run() == .halted)
        #expect(program.machine.deliveredEvents.isEmpty)
    }

    // MARK: 0x66 on loop and jecxz

    @Test func operandSizeLoopTruncatesTheTargetToSixteenBits() throws {
        // 66 e2 fe at 0x00100005: loop to (0x00100008 - 2) & 0xffff = 0x0006.
        let snippet = try Snippet("movl $2, %ecx; .byte 0x66, 0xe2, 0xfe")
        snippet.machine.map(0, size: 0x1000)
        #expect(snippet.run(maxSteps: 2) == .stepLimit)
        #expect(snippet.machine.eip == 0x0000_0006)
        #expect(snippet.machine[.ecx] == 1)
    }

    @Test func repneMovsRepeatsWhateverThePrefixOrder() throws {
        // 66 f2 a5: a P6 moves ecx words (f2 repeats movs as f3 does); Capstone 4 lost the f2.
        let snippet = try Snippet("""
            movl $0x00200000, %esi; movl $0x00200100, %edi; movl $3, %ecx
            movl $0x44332211, (%esi); movl $0x88776655, 4(%esi)
            .byte 0x66, 0xf2, 0xa5
            """)
        #expect(snippet.run() == .endOfCode)
        #expect(snippet.machine[.ecx] == 0)
        #expect(try snippet.word(0x0020_0100) == 0x4433_2211 && snippet.word(0x0020_0104) == 0x6655)
    }

    @Test func anInstructionPastFifteenBytesIsGeneralProtection() throws {
        let fifteen = [String](repeating: "0x26", count: 15).joined(separator: ", ")
        let program = try SystemProgram("""
                GATE 13, gp_handler
                LOAD_IDT
            long:
                .byte \(fifteen), 0x90
                hlt
            gp_handler:
                popl gp_code
                popl gp_eip
                hlt
            .data
            gp_code: .long 0xffffffff
            gp_eip: .long 0
            """)
        #expect(program.run() == .halted)
        #expect(try program.word(program.symbol("gp_code")) == 0)
        #expect(try program.word(program.symbol("gp_eip")) == program.symbol("long"))
        let fourteen = try Snippet(".byte " + [String](repeating: "0x26", count: 14).joined(separator: ", ") + ", 0x90")
        #expect(fourteen.run() == .endOfCode)
    }

    @Test func bitScanIgnoresARepeatPrefix() throws {
        // lzcnt/tzcnt on later CPUs; bsr/bsf on a P6 (a zero source leaves the destination).
        let snippet = try Snippet("movl $0x00f0, %eax; movl $0x55, %ebx; movl $0x55, %ecx; lzcnt %eax, %ebx; tzcnt %eax, %ecx; xorl %edx, %edx; movl $9, %esi; lzcnt %edx, %esi")
        #expect(snippet.run() == .endOfCode)
        #expect(snippet.machine[.ebx] == 7 && snippet.machine[.ecx] == 4 && snippet.machine[.esi] == 9)
        #expect(snippet.machine.eflags & 0x40 != 0)  // ZF: the source was zero
    }
}
