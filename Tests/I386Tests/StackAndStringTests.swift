import I386
import Testing

/// push %esp, pop (%esp), enter with nesting, and string instructions in reverse.
@Suite struct StackAndStringTests {
    static let top = Snippet.stackTop
    static let data = Snippet.data

    @Test func pushESPPushesTheOldValue() throws {
        let snippet = try Snippet("movl %esp, %ebx; pushl %esp; popl %eax")
        #expect(snippet.run() == .endOfCode)
        #expect(snippet.machine[.eax] == Self.top)
    }

    @Test func popIntoMemoryAddressedThroughESPUsesTheIncrementedESP() throws {
        let snippet = try Snippet("pushl $0x1234; pushl $0x5678; popl (%esp); popl %eax")
        #expect(snippet.run() == .endOfCode)
        #expect(snippet.machine[.eax] == 0x5678)
        #expect(snippet.machine[.esp] == Self.top)
    }

    @Test func enterWithNestingCopiesFramePointers() throws {
        let snippet = try Snippet("movl $0xaabbccdd, 0x2ffefc; movl $0x2fff00, %ebp; enter $8, $2")
        #expect(snippet.run() == .endOfCode)
        let machine = snippet.machine
        #expect(try snippet.word(Self.top - 4) == 0x002F_FF00)  // old ebp
        #expect(try snippet.word(Self.top - 8) == 0xAABB_CCDD)  // the enclosing frame's pointer
        #expect(try snippet.word(Self.top - 12) == Self.top - 4)  // this frame
        #expect(machine[.ebp] == Self.top - 4)
        #expect(machine[.esp] == Self.top - 12 - 8)
    }

    @Test func enterAndLeaveRoundTrip() throws {
        let snippet = try Snippet("movl $0x1111, %ebp; enter $16, $0; leave")
        #expect(snippet.run() == .endOfCode)
        #expect(snippet.machine[.ebp] == 0x1111)
        #expect(snippet.machine[.esp] == Self.top)
    }

    @Test func reverseRepeatedMove() throws {
        let snippet = try Snippet("""
            movl $1, \(Self.data); movl $2, \(Self.data + 4); movl $3, \(Self.data + 8)
            std; movl $\(Self.data + 8), %esi; movl $\(Self.data + 0x108), %edi; movl $3, %ecx
            rep movsl
            cld
            """)
        #expect(snippet.run() == .endOfCode)
        #expect(try (0..<3).map { try snippet.word(Self.data + 0x100 + UInt32($0) * 4) } == [1, 2, 3])
        #expect(snippet.machine[.esi] == Self.data - 4)
        #expect(snippet.machine[.edi] == Self.data + 0xFC)
        #expect(snippet.machine[.ecx] == 0)
    }

    @Test func repeatWithZeroCountDoesNothing() throws {
        let snippet = try Snippet("xorl %ecx, %ecx; movl $\(Self.data), %edi; movl $0x55, %eax; rep stosb; repne scasb")
        #expect(snippet.run() == .endOfCode)
        #expect(snippet.machine[.edi] == Self.data)
        #expect(try snippet.word(Self.data) == 0)
    }

    @Test func backwardScanFindsTheByte() throws {
        let snippet = try Snippet("""
            movb $0x42, \(Self.data + 3)
            std; movl $\(Self.data + 9), %edi; movl $10, %ecx; movb $0x42, %al
            repne scasb
            cld
            """)
        #expect(snippet.run() == .endOfCode)
        #expect(snippet.machine[.edi] == Self.data + 2)  // one past the match, going down
        #expect(snippet.machine[.ecx] == 3)
        #expect(snippet.machine.eflags & EFLAGS.zf == EFLAGS.zf)
    }

    @Test func repeCompareStopsAtTheFirstDifference() throws {
        let snippet = try Snippet("""
            movl $0x61626364, \(Self.data); movl $0x61626365, \(Self.data + 16)
            movl $\(Self.data), %esi; movl $\(Self.data + 16), %edi; movl $4, %ecx
            repe cmpsb
            """)
        #expect(snippet.run() == .endOfCode)
        #expect(snippet.machine[.ecx] == 3)  // differed at the first byte
        #expect(snippet.machine.eflags & EFLAGS.zf == 0)
        #expect(snippet.machine.eflags & EFLAGS.cf == EFLAGS.cf)  // 0x64 < 0x65
    }
}
