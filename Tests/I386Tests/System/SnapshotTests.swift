import I386
import Testing

/// `Machine.snapshot()` and `restore(_:)`: the CPU and every byte of memory
/// come back, whichever way the bytes were written, and decoded code written
/// back is decoded again.
@Suite struct SnapshotTests {
    /// Registers, position and the bytes of `ranges`.
    private func fingerprint(_ machine: Machine, _ ranges: [(UInt32, Int)]) throws -> [UInt32] {
        var values = Register.allCases.map { machine[$0] }
        values += [UInt32(truncatingIfNeeded: machine.instructionCount), UInt32(truncatingIfNeeded: machine.position.interruptions)]
        for (address, count) in ranges {
            values += try machine.read(address, count: count).map(UInt32.init)
        }
        return values
    }

    @Test func restoreBringsBackRegistersMemoryAndTheFollowingRun() throws {
        let program = try SystemProgram("""
                movl $table, %esi
                movl $64, %ecx
            fill:
                movl %ecx, (%esi)
                addl $4, %esi
                pushl %ecx
                loop fill
                hlt
            .data
            table: .space 256
            """)
        let machine = program.machine
        #expect(machine.run(maxSteps: 20) == .stepLimit)
        let ranges: [(UInt32, Int)] = [(program.symbol("table"), 256), (0x015fc000 - 256, 256)]
        let before = try fingerprint(machine, ranges)
        let snapshot = machine.snapshot()
        #expect(program.run() == .halted)
        let after = try fingerprint(machine, ranges)
        #expect(after != before)
        try machine.restore(snapshot)
        #expect(try fingerprint(machine, ranges) == before)
        #expect(program.run() == .halted)
        #expect(try fingerprint(machine, ranges) == after)
    }

    @Test func selfModifiedCodeIsRestoredAndDecodedAgain() throws {
        let program = try SystemProgram("""
                jmp patch
            .section .selfmod, "awx"
            patch:
                movl $1, %ebx
                movb $7, patch + 1          # the immediate becomes 7
                jmp patch
            """)
        let machine = program.machine
        machine.physicalMemory.protect(program.symbol("patch") & ~0xFFF, size: 4096, permissions: .all)
        machine.breakpoints = [program.symbol("patch")]
        #expect(machine.run() == .breakpoint(program.symbol("patch")))
        let snapshot = machine.snapshot()
        #expect(machine.run(maxSteps: 4) == .breakpoint(program.symbol("patch")))
        #expect(machine.run(maxSteps: 1) == .stepLimit)
        #expect(machine[.ebx] == 7)
        try machine.restore(snapshot)
        #expect(try machine.read(program.symbol("patch") + 1, count: 1) == [1])
        #expect(machine.run(maxSteps: 1) == .stepLimit)
        #expect(machine[.ebx] == 1)  // the decoded code of the rewritten frame was dropped
    }

    @Test func pageTableAccessedAndDirtyBitsComeBack() throws {
        let paging = try PagingProgram("""
                MAP test_table, TEST_LINEAR, frame_a, P|RW
                ENABLE_PAGING
            paged:
                movl $0x55, TEST_LINEAR
                hlt
            """)
        let machine = paging.machine
        machine.breakpoints = [paging.program.symbol("paged")]
        #expect(machine.run(maxSteps: 100_000) == .breakpoint(paging.program.symbol("paged")))
        let table = paging.program.symbol("test_table")
        let entries = try machine.read(table, count: 16)
        let frame = try machine.read(paging.program.symbol("frame_a"), count: 8)
        let snapshot = machine.snapshot()
        #expect(machine.run(maxSteps: 100_000) == .halted)
        #expect(try machine.read(table, count: 16) != entries)  // A and D set
        try machine.restore(snapshot)
        #expect(try machine.read(table, count: 16) == entries)
        #expect(try machine.read(paging.program.symbol("frame_a"), count: 8) == frame)
    }

    @Test func debuggerWritesAreUndoneAndLaterSnapshotsGo() throws {
        let program = try SystemProgram("""
                incl counter
                incl counter
                hlt
            .data
            counter: .long 0
            """)
        let machine = program.machine
        let counter = program.symbol("counter")
        let first = machine.snapshot()
        #expect(machine.run(maxSteps: 1) == .stepLimit)
        let second = machine.snapshot()
        try machine.write([9, 9, 9, 9], at: counter)
        #expect(machine.run() == .halted)
        #expect(try machine.word(at: counter) == 0x0909_090A)
        try machine.restore(second)
        #expect(try machine.word(at: counter) == 1)
        try machine.restore(first)
        #expect(try machine.word(at: counter) == 0)
        #expect(throws: SnapshotError.self) { try machine.restore(second) }
    }

    @Test func discardingAMiddleSnapshotKeepsTheOthersExact() throws {
        let program = try SystemProgram("""
                movl $1, a
                movl $2, b
                movl $3, a
                movl $4, b
                hlt
            .data
            a: .long 0
            b: .long 0
            """)
        let machine = program.machine
        let a = program.symbol("a")
        var snapshots: [MachineSnapshot] = []
        var states: [[UInt8]] = []
        for _ in 0..<4 {
            snapshots.append(machine.snapshot())
            states.append(try machine.read(a, count: 8))
            #expect(machine.run(maxSteps: 1) == .stepLimit)
        }
        machine.discard(snapshots[1])
        machine.discard(snapshots[2])
        try machine.restore(snapshots[3])
        #expect(try machine.read(a, count: 8) == states[3])
        try machine.restore(snapshots[0])
        #expect(try machine.read(a, count: 8) == states[0])
        #expect(machine.instructionCount == 0)
        #expect(machine.snapshotMemoryBytes >= 0)
    }
}
