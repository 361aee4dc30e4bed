import I386
import Testing

/// bt* into memory with negative offsets, cmpxchg, cmpxchg8b, xadd.
@Suite struct BitAndExchangeTests {
    static let data = Snippet.data

    @Test func bitTestSetWithANegativeRegisterOffset() throws {
        let snippet = try Snippet("movl $\(Self.data + 0x10), %ebx; movl $-1, %ecx; btsl %ecx, (%ebx); movl $-33, %edx; btl %edx, (%ebx)")
        #expect(snippet.run() == .endOfCode)
        // Offset -1 is bit 31 of the dword 4 bytes below; -33 is bit 31 of the dword 8 below.
        #expect(try snippet.word(Self.data + 0x0C) == 0x8000_0000)
        #expect(snippet.machine.eflags & EFLAGS.cf == 0)  // bit -33 was clear
    }

    @Test func wordBitStringWithANegativeOffset() throws {
        let snippet = try Snippet("movl $\(Self.data + 0x10), %ebx; movw $-1, %cx; btsw %cx, (%ebx); btsw %cx, (%ebx)")
        #expect(snippet.run() == .endOfCode)
        #expect(try snippet.word(Self.data + 0x0C) == 0x8000_0000)  // bit 15 of the word at +0x0e
        #expect(snippet.machine.eflags & EFLAGS.cf == EFLAGS.cf)  // the second bts saw it set
    }

    @Test func bitTestImmediateOffsetsWrapInsideTheOperand() throws {
        let snippet = try Snippet("movl $\(Self.data), %ebx; btsl $33, (%ebx); btrl $1, (%ebx)")
        #expect(snippet.run() == .endOfCode)
        #expect(try snippet.word(Self.data) == 0)
        #expect(snippet.machine.eflags & EFLAGS.cf == EFLAGS.cf)
    }

    @Test func compareExchange8Bytes() throws {
        let snippet = try Snippet("""
            movl $0x22222222, \(Self.data); movl $0x11111111, \(Self.data + 4)
            movl $0x22222222, %eax; movl $0x11111111, %edx
            movl $0x44444444, %ebx; movl $0x33333333, %ecx
            lock cmpxchg8b \(Self.data)
            setz %al
            movl $0, %edx
            cmpxchg8b \(Self.data)
            """)
        #expect(snippet.run() == .endOfCode)
        #expect(try snippet.word(Self.data) == 0x4444_4444)
        #expect(try snippet.word(Self.data + 4) == 0x3333_3333)
        // The second compare fails: edx:eax gets the memory, ZF clear.
        #expect(snippet.machine[.eax] == 0x4444_4444)
        #expect(snippet.machine[.edx] == 0x3333_3333)
        #expect(snippet.machine.eflags & EFLAGS.zf == 0)
    }

    @Test func compareExchangeAndExchangeAdd() throws {
        let snippet = try Snippet("""
            movl $5, \(Self.data); movl $5, %eax; movl $9, %ecx
            lock cmpxchgl %ecx, \(Self.data)
            movl $7, %edx; lock xaddl %edx, \(Self.data)
            """)
        #expect(snippet.run() == .endOfCode)
        #expect(try snippet.word(Self.data) == 16)
        #expect(snippet.machine[.edx] == 9)
    }

    @Test func lockOnARegisterDestinationIsInvalid() throws {
        let machine = try Machine()
        machine.map(0x1000, size: 0x1000, permissions: [.read, .execute])
        try machine.write([0xF0, 0x01, 0xC3], at: 0x1000)  // lock addl %eax, %ebx
        machine.eip = 0x1000
        // Capstone rejects the encoding; the report carries the bytes at eip.
        guard case .exception(.invalidOpcode(let bytes)) = machine.run(maxSteps: 10) else {
            Issue.record("expected #UD")
            return
        }
        #expect(bytes.starts(with: [0xF0, 0x01, 0xC3]))
    }
}
