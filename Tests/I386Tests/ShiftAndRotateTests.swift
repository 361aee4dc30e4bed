import I386
import Testing

/// Shifts and rotates at the count edges: 0, 1, 31, 32 and through CF.
@Suite struct ShiftAndRotateTests {
    static let allArithmetic: UInt32 = 0x8D5  // CF PF AF ZF SF OF

    /// Runs `text` after loading EFLAGS with `flags`; returns the machine.
    func run(_ text: String, flags: UInt32 = 0) throws -> Machine {
        let snippet = try Snippet("pushl $\(flags | 2); popfl\n" + text)
        #expect(snippet.run() == .endOfCode)
        return snippet.machine
    }

    @Test func shiftByZeroChangesNothing() throws {
        let machine = try run("movl $0x80000001, %eax; shll $0, %eax; shrl $32, %eax; sarl %cl, %eax",
                              flags: Self.allArithmetic)
        #expect(machine[.eax] == 0x8000_0001)
        #expect(machine.eflags & Self.allArithmetic == Self.allArithmetic)
    }

    @Test func shiftLeftByOne() throws {
        let machine = try run("movl $0x80000001, %eax; shll $1, %eax")
        #expect(machine[.eax] == 2)
        // CF = the bit shifted out; OF = MSB(result) XOR CF; PF of 0x02 is odd.
        #expect(machine.eflags & Self.allArithmetic == EFLAGS.cf | EFLAGS.of)
    }

    @Test func shiftLeftBy31AndRightBy31() throws {
        let machine = try run("movl $0x80000001, %eax; shll $31, %eax; movl $0x80000000, %ebx; sarl $31, %ebx")
        #expect(machine[.eax] == 0x8000_0000)
        #expect(machine[.ebx] == 0xFFFF_FFFF)
        // sar: CF = bit 30 of 0x80000000 = 0; SF = 1; PF of 0xff is even.
        #expect(machine.eflags & (EFLAGS.cf | EFLAGS.sf | EFLAGS.zf | EFLAGS.pf) == EFLAGS.sf | EFLAGS.pf)
    }

    @Test func shiftByThirtyTwoIsMaskedToZero() throws {
        let machine = try run("movl $32, %ecx; movl $0x1234, %eax; shll %cl, %eax", flags: EFLAGS.cf | EFLAGS.zf)
        #expect(machine[.eax] == 0x1234)
        #expect(machine.eflags & Self.allArithmetic == EFLAGS.cf | EFLAGS.zf)
    }

    @Test func shiftRightByOneSetsOverflowFromTheOldSign() throws {
        let machine = try run("movl $0x80000001, %eax; shrl %eax")
        #expect(machine[.eax] == 0x4000_0000)
        #expect(machine.eflags & (EFLAGS.cf | EFLAGS.of) == EFLAGS.cf | EFLAGS.of)
    }

    @Test func rotateThroughCarry() throws {
        // rcl: CF enters bit 0, bit 7 leaves into CF; OF = MSB(result) XOR CF.
        let left = try run("movb $0x80, %al; rclb $1, %al", flags: EFLAGS.cf)
        #expect(left[.eax] & 0xFF == 0x01)
        #expect(left.eflags & (EFLAGS.cf | EFLAGS.of) == EFLAGS.cf | EFLAGS.of)
        // rcr: OF = MSB(original) XOR CF(original).
        let right = try run("movb $0x01, %al; rcrb $1, %al")
        #expect(right[.eax] & 0xFF == 0x00)
        #expect(right.eflags & (EFLAGS.cf | EFLAGS.of) == EFLAGS.cf)
    }

    @Test func rotateThroughCarryCountsModulo9And17() throws {
        // 8-bit rcl by 9 and 16-bit rcr by 17 rotate by 0: nothing changes, CF included.
        let machine = try run("movl $0x12345678, %eax; rclb $9, %al; rcrw $17, %ax", flags: EFLAGS.cf)
        #expect(machine[.eax] == 0x1234_5678)
        #expect(machine.eflags & EFLAGS.cf == EFLAGS.cf)
        // 8-bit rcl by 10 rotates the 9-bit value (CF:al) by 1.
        let byTen = try run("movb $0x80, %al; rclb $10, %al", flags: 0)
        #expect(byTen[.eax] & 0xFF == 0x00)
        #expect(byTen.eflags & EFLAGS.cf == EFLAGS.cf)
    }

    @Test func doubleShifts() throws {
        let machine = try run("movl $0x12345678, %eax; movl $0x9abcdef0, %ebx; shldl $8, %ebx, %eax; movl $0x12345678, %ecx; shrdl $4, %ebx, %ecx")
        #expect(machine[.eax] == 0x3456_789A)
        #expect(machine[.ecx] == 0x0123_4567)
        #expect(machine.eflags & EFLAGS.cf == EFLAGS.cf)  // bit 3 of 0x12345678 left last
    }
}
