import I386
import Testing

/// Multiplication overflow, division boundaries and #DE.
@Suite struct ArithmeticTests {
    @Test func imulOverflowSetsCarryAndOverflow() throws {
        let snippet = try Snippet("movl $0x10000, %eax; imull $0x10000, %eax, %ecx")
        #expect(snippet.run() == .endOfCode)
        #expect(snippet.machine[.ecx] == 0)
        #expect(snippet.machine.eflags & (EFLAGS.cf | EFLAGS.of) == EFLAGS.cf | EFLAGS.of)
    }

    @Test func imulWithoutOverflow() throws {
        let snippet = try Snippet("movl $-2, %eax; movl $3, %ebx; imull %ebx")
        #expect(snippet.run() == .endOfCode)
        #expect(snippet.machine[.eax] == 0xFFFF_FFFA)
        #expect(snippet.machine[.edx] == 0xFFFF_FFFF)
        #expect(snippet.machine.eflags & (EFLAGS.cf | EFLAGS.of) == 0)
    }

    @Test func byteImulThatDoesNotFitOverflows() throws {
        let snippet = try Snippet("movb $-128, %al; movb $-1, %bl; imulb %bl")
        #expect(snippet.run() == .endOfCode)
        #expect(snippet.machine[.eax] & 0xFFFF == 0x0080)
        #expect(snippet.machine.eflags & (EFLAGS.cf | EFLAGS.of) == EFLAGS.cf | EFLAGS.of)
    }

    @Test func divideByZeroIsDivideError() throws {
        let snippet = try Snippet("xorl %edx, %edx; movl $100, %eax; xorl %ecx, %ecx; divl %ecx")
        #expect(snippet.run() == .exception(.divideError))
        #expect(snippet.machine.eip == Snippet.origin + 9)  // the div itself
        #expect(snippet.machine[.eax] == 100)
    }

    @Test(arguments: [
        "movl $1, %edx; xorl %eax, %eax; movl $1, %ecx; divl %ecx",                  // quotient 2^32
        "movl $-1, %edx; movl $0x80000000, %eax; movl $-1, %ecx; idivl %ecx",        // quotient 2^31
        "movw $0x8000, %ax; movb $-1, %cl; idivb %cl",                               // quotient 2^15 > 127
        "movb $0, %ah; aam $0",
    ])
    func quotientOverflowIsDivideError(text: String) throws {
        #expect(try Snippet(text).run() == .exception(.divideError))
    }

    @Test func divisionAtTheBoundaries() throws {
        let snippet = try Snippet("""
            movl $0xfffffffe, %edx; movl $0xffffffff, %eax; movl $0xffffffff, %ecx; divl %ecx
            movl %eax, %esi; movl %edx, %edi
            movl $-7, %eax; cltd; movl $2, %ecx; idivl %ecx
            """)
        #expect(snippet.run() == .endOfCode)
        #expect(snippet.machine[.esi] == 0xFFFF_FFFF)  // quotient
        #expect(snippet.machine[.edi] == 0xFFFF_FFFE)  // remainder
        #expect(snippet.machine[.eax] == 0xFFFF_FFFD)  // -7 / 2 = -3, truncated
        #expect(snippet.machine[.edx] == 0xFFFF_FFFF)  // remainder -1
    }

    @Test func addWithCarryChainsAcrossWords() throws {
        let snippet = try Snippet("movl $0xffffffff, %eax; movl $1, %ebx; addl $1, %eax; adcl $0, %ebx; sbbl %ecx, %ecx")
        #expect(snippet.run() == .endOfCode)
        #expect(snippet.machine[.eax] == 0)
        #expect(snippet.machine[.ebx] == 2)
        #expect(snippet.machine[.ecx] == 0)  // no borrow: adc cleared CF
    }
}
