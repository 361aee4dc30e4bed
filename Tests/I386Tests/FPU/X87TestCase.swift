import I386

/// One random x87 sequence: the state frstor loads first, the memory its
/// operands live in, and the instructions with their operand offsets.
struct X87TestCase {
    /// The 108-byte frstor image the sequence starts from.
    var image: [UInt8]
    /// The case's memory block (operands are read from and written to it).
    var memory: [UInt8]
    /// The instructions, each with its memory operand's offset in `memory`.
    var steps: [(instruction: X87TestInstruction, offset: Int)]

    static let memorySize = 1024
    static let maximumSteps = 16
}

/// What one run (native or through `X87State`) of a case produced.
struct X87TestOutcome: Equatable {
    /// How many instructions ran (a sequence stops after the first that
    /// leaves an exception pending, as the next waiting one would fault).
    var steps: Int
    /// The status word after each instruction that ran.
    var statusWords: [UInt16]
    /// EFLAGS after each instruction that ran.
    var eflags: [UInt32]
    /// fnsave's image at the end.
    var finalImage: [UInt8]
    /// The memory block at the end.
    var memory: [UInt8]
}
