import I386
import Testing

/// A debugger's stop conditions: breakpoints that leave guest memory alone,
/// watchpoints with the bytes before and after, catchpoints that stop before
/// delivery, and the execution position they are reported at.
@Suite struct DebuggerStopTests {
    @Test func breakpointStopsBeforeTheInstructionWithoutWritingMemory() throws {
        let program = try SystemProgram("""
                movl target, %ebx           # the guest reads its own code
                nop
            target:
                movl $5, %esi
                movl target, %ecx
                hlt
            """)
        let target = program.symbol("target")
        let original = try program.machine.read(target, count: 5)
        program.machine.breakpoints = [target]
        #expect(program.run() == .breakpoint(target))
        #expect(program.machine.eip == target)
        #expect(program.machine[.esi] == 0)
        #expect(try program.machine.read(target, count: 5) == original)
        // Running on from the breakpoint runs its instruction; the guest saw its real bytes.
        #expect(program.run() == .halted)
        #expect(program.machine[.esi] == 5)
        let word = original.prefix(4).enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
        #expect(program.machine[.ebx] == word)
        #expect(program.machine[.ecx] == word)
    }

    @Test func breakpointInALoopStopsEveryTimeAndStepLimitOnItReportsIt() throws {
        let program = try SystemProgram("""
                movl $3, %ecx
            top:
                decl %ecx
                jnz top
                hlt
            """)
        let top = program.symbol("top")
        program.machine.breakpoints = [top]
        var stops = 0
        while program.run() == .breakpoint(top) { stops += 1 }
        #expect(stops == 3)
        #expect(program.machine[.ecx] == 0)
        // A step that lands on a breakpoint says so.
        let again = try SystemProgram("nop\nnop\nhlt")
        again.machine.breakpoints = [again.machine.eip &+ 1]
        #expect(again.machine.run(maxSteps: 1) == .breakpoint(again.machine.eip))
    }

    @Test func breakpointAtAHandlerStopsAfterTheDelivery() throws {
        let program = try SystemProgram("""
                GATE 0, de_handler
                LOAD_IDT
                xorl %ecx, %ecx
            divide:
                divl %ecx
                hlt
            de_handler:
                movl $7, %edi
                hlt
            """)
        let handler = program.symbol("de_handler")
        program.machine.breakpoints = [handler]
        let before = program.machine.position
        #expect(program.run() == .breakpoint(handler))
        #expect(program.machine.position.interruptions == before.interruptions + 1)
        #expect(program.machine[.edi] == 0)
        #expect(program.run() == .halted)
        #expect(program.machine[.edi] == 7)
    }

    @Test func writeWatchpointStopsAfterTheWriteWithOldAndNewBytes() throws {
        let program = try SystemProgram("""
                movl $0x11223344, value
                movl value, %eax
            write:
                movw $0xbeef, value + 2
            after:
                hlt
            .data
            value: .long 0
            """)
        let value = program.symbol("value")
        program.machine.watchpoints = [Watchpoint(address: value, length: 4, kind: .write)]
        // The first write.
        guard case .watchpoint(let first) = program.run() else {
            Issue.record("no watchpoint stop")
            return
        }
        #expect(first.oldBytes == [0, 0, 0, 0])
        #expect(first.newBytes == [0x44, 0x33, 0x22, 0x11])
        #expect(first.isWrite)
        #expect(first.positionBefore.instructions == 0)
        // The read in between does not stop a write watchpoint; the second write does.
        guard case .watchpoint(let second) = program.run() else {
            Issue.record("no second watchpoint stop")
            return
        }
        #expect(second.instructionAddress == program.symbol("write"))
        #expect(program.machine.eip == program.symbol("after"))
        #expect(second.oldBytes == [0x44, 0x33, 0x22, 0x11])
        #expect(second.newBytes == [0x44, 0x33, 0xef, 0xbe])
        #expect(second.positionBefore.instructions == 2)
        #expect(program.run() == .halted)
    }

    @Test func readAndAccessWatchpoints() throws {
        let program = try SystemProgram("""
                movl $1, value
                movl value, %eax
                movl value, %ebx
                hlt
            .data
            value: .long 0
            """)
        let value = program.symbol("value")
        program.machine.watchpoints = [Watchpoint(address: value + 3, length: 1, kind: .read)]
        guard case .watchpoint(let read) = program.run() else {
            Issue.record("no read watchpoint stop")
            return
        }
        #expect(!read.isWrite)
        #expect(read.positionBefore.instructions == 1)
        program.machine.watchpoints = [Watchpoint(address: value, length: 4, kind: .access)]
        guard case .watchpoint(let access) = program.run() else {
            Issue.record("no access watchpoint stop")
            return
        }
        #expect(access.positionBefore.instructions == 2)
        program.machine.watchpoints = []
        #expect(program.run() == .halted)
        #expect(program.machine[.ebx] == 1)
    }

    @Test func caughtExceptionStopsBeforeDeliveryAndRunningOnDeliversIt() throws {
        let program = try SystemProgram("""
                GATE 13, gp_handler
                LOAD_IDT
            fault:
                movl $0x1234, %eax
                movl %eax, %fs
                hlt
            gp_handler:
                incl gp_count
                addl $4, %esp
                addl $2, (%esp)             # past the 2-byte mov
                iret
            .data
            gp_count: .long 0
            """)
        program.machine.caughtVectors = [13]
        let reason = program.run()
        #expect(reason == .exception(.generalProtection(errorCode: 0x1234)))
        #expect(program.machine.deliveredEvents.isEmpty)
        let stoppedAt = program.machine.eip
        #expect(stoppedAt == program.symbol("fault") + 5)
        #expect(program.run() == .halted)
        #expect(try program.word(program.symbol("gp_count")) == 1)
        #expect(program.machine.deliveredEvents.map(\.vector) == [13])
        #expect(program.machine.position.interruptions == 1)
    }
}
