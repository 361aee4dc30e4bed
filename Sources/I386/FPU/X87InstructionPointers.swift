/// The x87's record of the last non-control instruction: where it was
/// (FCS:FIP), its opcode (FOP) and its memory operand (FDS:FDP).
///
/// `X87State` only stores these and writes them into fnstenv, fnsave and
/// fxsave images; the integrator sets them (`X87State.lastInstruction`)
/// after every x87 instruction that is not a control instruction (fninit,
/// fnclex, fnstcw, fnstsw, fldcw, fnstenv, fldenv, fnsave, frstor, fxsave,
/// fxrstor, fwait): FIP/FCS to the instruction's first byte including
/// prefixes, FOP to the low 3 bits of its first opcode byte and its ModR/M
/// byte (`(opcode & 7) << 8 | modrm`), and FDP/FDS to its memory operand's
/// offset and selector when it has one (otherwise they keep their value,
/// as the host, an AMD part, keeps them).
public struct X87InstructionPointers: Hashable, Sendable {
    /// FIP: the offset of the instruction.
    public var instructionOffset: UInt32
    /// FCS: its code-segment selector.
    public var instructionSelector: UInt16
    /// FOP: 11 bits of its opcode.
    public var opcode: UInt16
    /// FDP: the offset of its memory operand.
    public var operandOffset: UInt32
    /// FDS: the segment selector of its memory operand.
    public var operandSelector: UInt16

    /// Pointers with these values (FOP keeps its low 11 bits).
    public init(instructionOffset: UInt32 = 0, instructionSelector: UInt16 = 0, opcode: UInt16 = 0,
                operandOffset: UInt32 = 0, operandSelector: UInt16 = 0) {
        self.instructionOffset = instructionOffset
        self.instructionSelector = instructionSelector
        self.opcode = opcode & 0x07FF
        self.operandOffset = operandOffset
        self.operandSelector = operandSelector
    }

    /// All zero, as fninit leaves them.
    public static let cleared = X87InstructionPointers()
}
