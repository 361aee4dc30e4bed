import Testing
import X86Decoding

/// The seeds' switch_to and current sequences, decoded operand by operand.
@Suite struct KernelSequenceDecodingTests {
    @Test func switchToSequence() throws {
        let instructions = try decodeAssembled("""
            pushfl; pushl %ebp; movl %esp,484(%eax); movl 484(%edx),%esp; movl $1f,480(%eax)
            pushl 480(%edx); jmp __switch_to; 1: popl %ebp; popfl
            __switch_to: ret
            """)
        #expect(instructions.map(\.mnemonic) == [.pushfd, .push, .mov, .mov, .mov, .push, .jmp, .pop, .popfd, .ret])
        #expect(instructions.map(\.text).prefix(3) == ["pushfl", "pushl %ebp", "movl %esp, 0x1e4(%eax)"])
        #expect(instructions[0].bytes == [0x9C])

        let saveESP = instructions[2]
        #expect(saveESP.bytes == [0x89, 0xA0, 0xE4, 0x01, 0x00, 0x00])
        #expect(saveESP.operands.count == 2)
        #expect(saveESP.operands[0] == X86Operand(
            kind: .memory(X86MemoryOperand(base: .eax, displacement: 484)), size: 4, access: .write))
        #expect(saveESP.operands[1] == X86Operand(kind: .register(.esp), size: 4, access: .read))
        #expect(saveESP.hasModRM && saveESP.modRM == 0xA0)

        let loadESP = instructions[3]
        #expect(loadESP.operands[0] == X86Operand(kind: .register(.esp), size: 4, access: .write))
        #expect(loadESP.operands[1] == X86Operand(
            kind: .memory(X86MemoryOperand(base: .edx, displacement: 484)), size: 4, access: .read))

        let saveEIP = instructions[4]
        let resume = instructions[7].address
        #expect(saveEIP.operands[0].memory == X86MemoryOperand(base: .eax, displacement: 480))
        #expect(saveEIP.operands[0].access == .write)
        #expect(saveEIP.operands[1].immediate == Int64(resume))

        let pushEIP = instructions[5]
        #expect(pushEIP.operands == [X86Operand(
            kind: .memory(X86MemoryOperand(base: .edx, displacement: 480)), size: 4, access: .read)])

        #expect(instructions[6].operands.first?.immediate == Int64(instructions[9].address))
        #expect(instructions[1].operands.first?.register == .ebp)
        #expect(instructions[7].operands.first?.register == .ebp)
    }

    @Test func currentMacro() throws {
        let instructions = try decodeAssembled("movl $0xffffe000,%ecx; andl %esp,%ecx; movl (%ecx),%ecx")
        #expect(instructions.map(\.mnemonic) == [.mov, .and, .mov])
        #expect(instructions[0].operands[0].register == .ecx)
        #expect(instructions[0].operands[1].immediate.map { UInt32(truncatingIfNeeded: $0) } == 0xFFFF_E000)
        #expect(instructions[1].operands[0] == X86Operand(kind: .register(.ecx), size: 4, access: [.read, .write]))
        #expect(instructions[1].operands[1] == X86Operand(kind: .register(.esp), size: 4, access: .read))
        #expect(instructions[1].flagEffects.modified.isSuperset(of: [.zf, .sf, .pf]))
        #expect(instructions[1].flagEffects.reset.isSuperset(of: [.cf, .of]))
        #expect(instructions[1].flagEffects.undefined.contains(.af))
        #expect(instructions[2].operands[1] == X86Operand(
            kind: .memory(X86MemoryOperand(base: .ecx)), size: 4, access: .read))
    }

    @Test func intelSyntaxText() throws {
        let instructions = try decodeAssembled("movl %esp,484(%eax)", syntax: .intel)
        #expect(instructions[0].text == "mov dword ptr [eax + 0x1e4], esp")
    }
}
