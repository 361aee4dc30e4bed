import I386
import Testing

/// Control registers (CR0.TS and #NM), debug registers (DR7 breakpoints, DR6) and TF.
@Suite struct DebugAndControlTests {
    @Test func taskSwitchedFlagMakesFPUInstructionsFaultUntilClts() throws {
        let program = try SystemProgram("""
                GATE 7, nm_handler
                LOAD_IDT
                fninit
                movl %cr0, %eax
                orl $8, %eax
                movl %eax, %cr0
            save:
                fxsave fpu_area
                movl fpu_area, %esi
                hlt
            nm_handler:
                incl nm_count
                clts
                iret
            .data
            nm_count: .long 0
            .align 16
            fpu_area: .space 512
            """)
        #expect(program.run() == .halted)
        #expect(try program.word(program.symbol("nm_count")) == 1)
        #expect(program.machine[.esi] & 0xFFFF == 0x037F)  // fninit's control word, saved by the retried fxsave
        #expect(program.machine[.cr0] & 8 == 0)
        #expect(program.machine.deliveredEvents.first?.eip == program.symbol("save"))
    }

    @Test func executeBreakpointFaultsBeforeTheInstruction() throws {
        let program = try SystemProgram("""
                GATE 1, db_handler
                LOAD_IDT
                movl $target, %eax
                movl %eax, %db0
                movl $1, %eax
                movl %eax, %db7
                nop
            target:
                movl $5, %esi
                hlt
            db_handler:
                incl db_count
                movl %db6, %edi
                orl $0x10000, 8(%esp)   # RF: do not fault again on return
                iret
            .data
            db_count: .long 0
            """)
        #expect(program.run() == .halted)
        #expect(try program.word(program.symbol("db_count")) == 1)
        #expect(program.machine[.edi] & 0xF == 1)  // B0
        #expect(program.machine[.esi] == 5)  // the instruction ran after the handler
        #expect(program.machine.deliveredEvents.first?.eip == program.symbol("target"))
    }

    @Test func dataBreakpointTrapsAfterTheWrite() throws {
        let program = try SystemProgram("""
                GATE 1, db_handler
                LOAD_IDT
                movl $watched, %eax
                movl %eax, %db1
                movl $0x00d00004, %eax   # L1, write-only, 4 bytes
                movl %eax, %db7
                movl watched, %ebx       # a read: no trap
                movl $7, watched
            after_write:
                hlt
            db_handler:
                movl %db6, %edi
                movl (%esp), %esi
                movl watched, %ebp
                iret
            .data
            watched: .long 0
            """)
        #expect(program.run() == .halted)
        #expect(program.machine[.edi] & 0xF == 2)  // B1
        #expect(program.machine[.esi] == program.symbol("after_write"))  // a trap: the next instruction
        #expect(program.machine[.ebp] == 7)  // the write happened first
        #expect(program.machine.deliveredEvents.count == 1)
    }

    @Test func trapFlagSingleStepsOneInstruction() throws {
        let program = try SystemProgram("""
                GATE 1, db_handler
                LOAD_IDT
                pushfl
                orl $0x100, (%esp)
                popfl
                incl %ecx
            stepped:
                incl %ecx
                hlt
            db_handler:
                movl %db6, %edi
                movl (%esp), %esi
                andl $~0x100, 8(%esp)
                iret
            """)
        #expect(program.run() == .halted)
        #expect(program.machine[.edi] & (1 << 14) != 0)  // BS
        #expect(program.machine[.esi] == program.symbol("stepped"))
        #expect(program.machine[.ecx] == 2)
        #expect(program.machine.deliveredEvents.count == 1)
    }
}
