@testable import I386
import Testing

/// Memory faults, self-modifying code, stop reasons, and the observer.
@Suite struct MachineTests {
    @Test func readingUnmappedMemoryIsAPageFault() throws {
        let snippet = try Snippet("nop; movl 0x50000000, %eax")
        #expect(snippet.run() == .exception(.pageFault(address: 0x5000_0000, errorCode: 0)))
        #expect(snippet.machine[.cr2] == 0x5000_0000)
        #expect(snippet.machine.eip == Snippet.origin + 1)
    }

    @Test func writingReadOnlyCodeIsAProtectionFault() throws {
        let snippet = try Snippet("movl $1, \(Snippet.origin)")
        #expect(snippet.run() == .exception(.pageFault(address: Snippet.origin, errorCode: 3)))
    }

    @Test func straddlingWritesFaultOnTheSecondPageAndWriteNothing() throws {
        let end = Snippet.data + 0x10000
        let snippet = try Snippet("movl $0x11223344, \(end - 2)")
        #expect(snippet.run() == .exception(.pageFault(address: end, errorCode: 2)))
        #expect(try snippet.machine.read(end - 2, count: 2) == [0, 0])
        let fits = try Snippet("movl $0x11223344, \(Snippet.data + 0xFFE); movl \(Snippet.data + 0xFFE), %eax")
        #expect(fits.run() == .endOfCode)
        #expect(fits.machine[.eax] == 0x1122_3344)
    }

    @Test func fetchingFromUnmappedMemoryIsAPageFault() throws {
        let machine = try Machine()
        machine.eip = 0xC010_0000
        #expect(machine.run(maxSteps: 5) == .exception(.pageFault(address: 0xC010_0000, errorCode: 0)))
    }

    @Test func selfModifyingCodeSeesItsOwnWrites() throws {
        let bytes = try assemble("""
            movl $0, %ecx
            again:
            target: movl $1, %eax
            incl %ecx
            movb $2, target+1
            cmpl $2, %ecx
            jne again
            hlt
            """, origin: 0x1000)
        let machine = try Machine()
        machine.map(0x1000, size: 0x1000)  // code that may write itself
        try machine.write(bytes, at: 0x1000)
        machine.eip = 0x1000
        #expect(machine.run(maxSteps: 100) == .halted)
        #expect(machine[.eax] == 2)
    }

    @Test func undecodableBytesAreInvalidOpcode() throws {
        let machine = try Machine()
        machine.map(0x1000, size: 0x1000, permissions: [.read, .execute])
        try machine.write([0x90, 0x0F, 0x0B], at: 0x1000)
        machine.eip = 0x1000
        #expect(machine.run(maxSteps: 10) == .exception(.invalidOpcode(bytes: [0x0F, 0x0B])))
        #expect(machine.eip == 0x1001)
    }

    @Test func stopReasons() throws {
        let halting = try Snippet("nop; hlt; nop")
        #expect(halting.run() == .halted)
        #expect(halting.machine.eip == Snippet.origin + 2)
        let looping = try Snippet("1: jmp 1b")
        #expect(looping.run(maxSteps: 1000) == .stepLimit)
        #expect(looping.machine.instructionCount == 1000)
        let until = try Snippet("nop; nop; nop; nop")
        #expect(until.machine.run(maxSteps: 100, until: Snippet.origin + 2) == .reachedUntil)
        #expect(until.machine.instructionCount == 2)
        // Resuming past the old stop address executes the real instruction there.
        #expect(until.machine.run(maxSteps: 100) == .endOfCode)
        #expect(until.machine.instructionCount == 4)
    }

    @Test func timestampCounterIsTheInstructionCount() throws {
        let snippet = try Snippet("nop; nop; rdtsc")
        #expect(snippet.run() == .endOfCode)
        #expect(snippet.machine[.eax] == 2)
        #expect(snippet.machine[.edx] == 0)
    }

    @Test func cpuidIdentity() throws {
        let snippet = try Snippet("xorl %eax, %eax; cpuid")
        #expect(snippet.run() == .endOfCode)
        let vendor = [snippet.machine[.ebx], snippet.machine[.edx], snippet.machine[.ecx]]
            .flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        #expect(String(decoding: vendor, as: UTF8.self) == "GenuineIntel")
        #expect(snippet.machine[.eax] == 2)  // the highest basic leaf (CPUModelTests has the rest)
    }

    @Test func debugPortIsTheConsole() throws {
        let snippet = try Snippet("movb $0x68, %al; outb %al, $0xe9; movb $0x69, %al; movw $0xe9, %dx; outb %al, %dx; inb $0x60, %al")
        #expect(snippet.run() == .endOfCode)
        #expect(String(decoding: snippet.console.text, as: UTF8.self) == "hi")
        #expect(snippet.machine[.eax] & 0xFF == 0xFF)  // nothing answers port 0x60
    }

    struct Recorder: ExecutionObserver {
        var addresses: [UInt32] = []
        var writes: [MemoryWrite] = []
        var observesMemoryWrites: Bool { true }
        mutating func didExecute(_ machine: Machine, instructionAddress: UInt32, writes: MemoryAccesses) {
            addresses.append(instructionAddress)
            self.writes += writes
        }
    }

    @Test func observerSeesInstructionsAndWrites() throws {
        let snippet = try Snippet("movl $0x11223344, \(Snippet.data); pushl $7")
        try snippet.machine.write([0xAA, 0xBB, 0xCC, 0xDD], at: Snippet.data)
        var recorder = Recorder()
        #expect(snippet.machine.run(maxSteps: 10, until: nil, observer: &recorder) == .endOfCode)
        #expect(recorder.addresses == [Snippet.origin, Snippet.origin + 10])
        #expect(recorder.writes == [
            MemoryWrite(address: Snippet.data, size: 4, oldValue: 0xDDCC_BBAA, newValue: 0x1122_3344),
            MemoryWrite(address: Snippet.stackTop - 4, size: 4, oldValue: 0, newValue: 7),
        ])
        // Unobserved runs take the fast path again afterwards.
        #expect(!snippet.machine.isLoggingWrites)
    }
}
