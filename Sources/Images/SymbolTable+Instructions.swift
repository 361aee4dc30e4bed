import X86Decoding

extension SymbolTable {
    private static let directBranches: Set<X86Mnemonic> = [
        .call, .jmp, .ja, .jae, .jb, .jbe, .je, .jne, .jg, .jge, .jl, .jle,
        .jo, .jno, .jp, .jnp, .js, .jns, .jcxz, .jecxz, .loop, .loope, .loopne,
    ]

    /// `address` as `<symbol>` or `<symbol+0x10>`, or nil when no symbol covers it.
    public func label(for address: UInt32) -> String? {
        guard let place = locate(address) else { return nil }
        return place.offset == 0 ? "<\(place.name)>" : "<\(place.name)+0x\(String(place.offset, radix: 16))>"
    }

    /// The instruction's text, with a direct branch's target named: `jmp 0x10002c <__switch_to>`.
    public func annotatedText(_ instruction: DecodedInstruction) -> String {
        guard Self.directBranches.contains(instruction.mnemonic), instruction.operands.count == 1,
              let target = instruction.operands[0].immediate,
              let label = label(for: UInt32(truncatingIfNeeded: target)) else { return instruction.text }
        return instruction.text + " " + label
    }
}
