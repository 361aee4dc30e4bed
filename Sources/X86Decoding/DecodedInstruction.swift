/// One decoded i386 instruction: everything the interpreter and the
/// disassembler need, with no Capstone type in it.
public struct DecodedInstruction: Sendable, Equatable {
    /// Linear address of the first byte.
    public var address: UInt32
    /// The instruction's bytes (1–15).
    public var bytes: [UInt8]
    /// Identity (`other` for instructions kstep does not know).
    public var mnemonic: X86Mnemonic
    /// Capstone's name for the instruction (`cs_insn_name`), e.g. "movsd".
    public var name: String
    /// The mnemonic as printed in the decoder's syntax, e.g. "movl" or "mov".
    public var syntaxMnemonic: String
    /// The operand text as printed in the decoder's syntax.
    public var operandText: String
    /// Operands in Intel order (destination first).
    public var operands: [X86Operand]
    /// Legacy prefixes present.
    public var prefixes: X86Prefixes
    /// The segment named by a segment-override prefix, if any.
    public var segmentOverride: X86Register?
    /// The opcode bytes (without prefixes, ModRM, SIB, displacement or immediate).
    public var opcode: [UInt8]
    /// The ModRM byte (0 when the instruction has none; see `hasModRM`).
    public var modRM: UInt8
    /// True when the encoding has a ModRM byte.
    public var hasModRM: Bool
    /// What the instruction does to the flags, per Capstone.
    public var flagEffects: X86FlagEffects

    /// Length in bytes.
    public var length: Int { bytes.count }

    /// The full text: mnemonic and operands.
    public var text: String {
        operandText.isEmpty ? syntaxMnemonic : "\(syntaxMnemonic) \(operandText)"
    }

    /// The ModRM `reg` field (the opcode extension for group opcodes).
    public var modRMReg: Int { Int((modRM >> 3) & 7) }
}
