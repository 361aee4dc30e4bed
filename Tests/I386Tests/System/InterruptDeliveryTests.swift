import I386
import Testing

/// Exceptions and software interrupts through the IDT: frames, error codes, #DF, triple faults.
@Suite struct InterruptDeliveryTests {
    static let stackTop: UInt32 = 0x015F_C000

    @Test func divideErrorThroughAnInterruptGate() throws {
        let program = try SystemProgram("""
                GATE 0, de_handler
                LOAD_IDT
                sti
                movl $100, %eax
                xorl %edx, %edx
                xorl %ecx, %ecx
            div_site:
                divl %ecx
                hlt
            de_handler:
                pushfl
                popl handler_flags
                hlt
            .data
            handler_flags: .long 0
            """)
        #expect(program.run() == .halted)
        let machine = program.machine
        #expect(machine[.esp] == Self.stackTop - 12)
        // eip of the faulting div, cs, then EFLAGS as it was (IF, ZF, PF from the xor).
        #expect(try program.words(Self.stackTop - 12, count: 3) == [program.symbol("div_site"), 0x60, 0x246])
        #expect(try program.word(program.symbol("handler_flags")) & EFLAGS.if == 0)  // interrupt gate
        #expect(machine.deliveredEvents.map(\.vector) == [0])
    }

    @Test func generalProtectionPushesTheSelectorErrorCode() throws {
        let program = try SystemProgram("""
                GATE 13, gp_handler
                LOAD_IDT
                movw $0x1234, %ax
            bad_load:
                movw %ax, %ds
                hlt
            gp_handler:
                popl %ebx
                hlt
            """)
        #expect(program.run() == .halted)
        #expect(program.machine[.ebx] == 0x1234)  // the selector, past the GDT limit
        #expect(try program.words(Self.stackTop - 12, count: 3).prefix(2) == [program.symbol("bad_load"), 0x60])
    }

    @Test func pageFaultPushesItsErrorCodeAndSetsCR2() throws {
        let program = try SystemProgram("""
                GATE 14, pf_handler
                LOAD_IDT
            read_site:
                movl 0x50000000, %eax
                hlt
            pf_handler:
                popl %ebx
                movl %cr2, %ecx
                cmpl $0, %ebx
                jne 1f
                movl %ecx, %esi
                movl $_start, %edi
                movl $1, (%edi)
            1:  hlt
            """)
        // RAM is writable with paging off; the embedding API can still protect a frame
        // (Unicorn-style) to get a present-page write fault without page tables.
        let codePage = program.symbol("_start") & ~0xFFF
        try #require(program.symbol("idt") & ~0xFFF != codePage)
        program.machine.physicalMemory.protect(codePage, size: 0x1000, permissions: [.read, .execute])
        #expect(program.run() == .halted)
        #expect(program.machine[.esi] == 0x5000_0000)  // CR2 of the first fault
        // The second fault: a write to the protected code, error code P|W = 3.
        #expect(program.machine[.ebx] == 3)
        #expect(program.machine[.cr2] == program.symbol("_start"))
        #expect(program.machine.deliveredEvents.map(\.vector) == [14, 14])
        #expect(program.machine.deliveredEvents.map(\.errorCode) == [0, 3])
    }

    @Test func softwareInterruptsThroughATrapGateReturnWithIret() throws {
        let program = try SystemProgram("""
                GATE 0x30, handler, 0x8f
                GATE 3, handler, 0x8f
                GATE 4, handler, 0x8f
                GATE 5, bound_handler
                LOAD_IDT
                sti
                int $0x30
            after_int:
                int3
            after_int3:
                movl $0x7fffffff, %eax
                addl $1, %eax
                into
            after_into:
                movl $5, %eax
                bound %eax, limits
                movl $1, %esi
                hlt
            handler:
                incl count
                movl (%esp), %edx
                movl %edx, returns-4(,%ecx,4)
                incl %ecx
                pushfl
                popl %ebp
                iret
            bound_handler:
                movl (%esp), %edi
                hlt
            .data
            count: .long 0
            returns: .long 0, 0, 0
            limits: .long 0, 4
            """)
        program.machine[.ecx] = 1
        #expect(program.run() == .halted)
        let machine = program.machine
        #expect(try program.word(program.symbol("count")) == 3)
        #expect(try program.words(program.symbol("returns"), count: 3)
                == [program.symbol("after_int"), program.symbol("after_int3"), program.symbol("after_into")])
        #expect(machine[.ebp] & EFLAGS.if != 0)  // a trap gate leaves IF set
        #expect(machine[.esi] == 0)  // bound faulted before it
        #expect(machine[.edi] == program.symbol("after_into") + 5)  // #BR is a fault: eip of bound
        #expect(machine.deliveredEvents.map(\.vector) == [0x30, 3, 4, 5])
    }

    @Test func aFaultWhileDeliveringBecomesADoubleFault() throws {
        let program = try SystemProgram("""
                GATE 13, gp_handler, 0x0e
                GATE 8, df_handler
                LOAD_IDT
                movw $0x1234, %ax
                movw %ax, %ds
                hlt
            gp_handler:
                hlt
            df_handler:
                popl %ebx
                movl $0xdf, %esi
                hlt
            """)
        #expect(program.run() == .halted)
        #expect(program.machine[.esi] == 0xDF)
        #expect(program.machine[.ebx] == 0)  // #DF pushes error code 0
        #expect(program.machine.deliveredEvents.map(\.vector) == [8])
    }

    @Test func aFaultWhileDeliveringDoubleFaultIsATripleFault() throws {
        let program = try SystemProgram("""
                GATE 13, gp_handler, 0x0e
                LOAD_IDT
                movw $0x1234, %ax
                movw %ax, %ds
            gp_handler:
                hlt
            """)
        #expect(program.run() == .tripleFault)
    }

    @Test func withoutAnIDTExceptionsStopTheRun() throws {
        let program = try SystemProgram("int3")
        #expect(program.run() == .exception(.breakpoint))
        let interrupt = try SystemProgram("int $0x80")
        #expect(interrupt.run() == .exception(.generalProtection(errorCode: 0x80 << 3 | 2)))
    }
}

/// Descriptor tables that point at unmapped memory.
@Suite struct BrokenTableTests {
    @Test func anIDTInUnmappedMemoryEndsInATripleFault() throws {
        // Reading the gate faults (#PF), delivering #PF reads another gate and faults again: #DF, then triple fault.
        let program = try SystemProgram("""
                lidt bad_idt
                int3
            .data
            bad_idt: .word 0x7ff
                .long 0x70000000
            """)
        #expect(program.run() == .tripleFault)
        #expect(program.machine[.cr2] >= 0x7000_0000)
    }

    @Test func aGDTInUnmappedMemoryFaultsOnTheDescriptorRead() throws {
        // The ds load faults at the descriptor (0x70000068); delivering that #PF
        // needs __KERNEL_CS from the same GDT (0x70000060): #PF, #DF, triple fault.
        let program = try SystemProgram("""
                GATE 14, pf_handler
                LOAD_IDT
                lgdt bad_gdt
                movw $0x68, %ax
                movw %ax, %ds
            pf_handler:
                movl %cr2, %esi
                hlt
            .data
            bad_gdt: .word 0xff
                .long 0x70000000
            """)
        #expect(program.run() == .tripleFault)
        #expect(program.machine[.cr2] == 0x7000_0060)
    }
}
