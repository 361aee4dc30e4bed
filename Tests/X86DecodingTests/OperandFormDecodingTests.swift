import Testing
import X86Decoding

/// Segment moves, locked and repeated forms, prefixes and far transfers.
@Suite struct OperandFormDecodingTests {
    @Test func segmentRegisterMoves() throws {
        let instructions = try decodeAssembled("mov %fs,40(%esi); mov 40(%ebx),%fs")
        #expect(instructions[0].mnemonic == .mov)
        #expect(instructions[0].operands[0].memory == X86MemoryOperand(base: .esi, displacement: 40))
        #expect(instructions[0].operands[0].size == 2)
        #expect(instructions[0].operands[1].register == .fs)
        #expect(instructions[1].operands[0].register == .fs)
        #expect(instructions[1].operands[1].memory == X86MemoryOperand(base: .ebx, displacement: 40))
    }

    @Test(arguments: [("xchgb %al,(%ebx)", 1), ("xchgw %ax,(%ebx)", 2), ("xchgl %eax,(%ebx)", 4)])
    func exchangeWithMemory(text: String, size: Int) throws {
        let instruction = try #require(try decodeAssembled(text).first)
        #expect(instruction.mnemonic == .xchg)
        #expect(instruction.operands.map(\.size) == [size, size])
        #expect(instruction.operands.contains { $0.memory == X86MemoryOperand(base: .ebx) })
        #expect(instruction.prefixes.contains(.operandSize) == (size == 2))
    }

    @Test func lockedCompareExchange() throws {
        let instruction = try #require(try decodeAssembled("lock cmpxchgl %ecx,(%edx)").first)
        #expect(instruction.mnemonic == .cmpxchg)
        #expect(instruction.prefixes.contains(.lock))
        #expect(instruction.bytes.first == 0xF0)
        #expect(instruction.operands[0].memory == X86MemoryOperand(base: .edx))
        #expect(instruction.operands[1].register == .ecx)
    }

    @Test func repeatedStringMove() throws {
        let instruction = try #require(try decodeAssembled("rep movsl").first)
        #expect(instruction.mnemonic == .movsd)
        #expect(instruction.prefixes.contains(.rep))
        #expect(instruction.opcode == [0xA5])
        #expect(instruction.bytes == [0xF3, 0xA5])
    }

    @Test func operandSizePrefixedPushAndPop() throws {
        let instructions = try decodeAssembled("pushw %ax; popw %bx; pushw $0x1234")
        #expect(instructions.allSatisfy { $0.prefixes.contains(.operandSize) })
        #expect(instructions[0].operands[0] == X86Operand(kind: .register(.ax), size: 2, access: .read))
        #expect(instructions[1].operands[0].register == .bx)
        #expect(instructions[2].operands[0].immediate == 0x1234)
    }

    @Test func farJumps() throws {
        let instructions = try decodeAssembled("ljmp $0x10,$0x1000; ljmp *8(%eax)")
        #expect(instructions[0].mnemonic == .ljmp)
        #expect(instructions[0].operands.compactMap(\.immediate) == [0x10, 0x1000])
        #expect(instructions[1].mnemonic == .ljmp)
        #expect(instructions[1].operands[0].memory == X86MemoryOperand(base: .eax, displacement: 8))
    }

    @Test func segmentOverridePrefix() throws {
        let instruction = try #require(try decodeAssembled("movl %gs:0x14,%eax").first)
        #expect(instruction.segmentOverride == .gs)
        #expect(instruction.operands[1].memory?.segment == .gs)
        #expect(instruction.operands[1].memory?.displacement == 0x14)
    }
}
