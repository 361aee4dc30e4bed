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
    /// The steps whose instruction carries a redundant ds prefix (0x3E):
    /// FIP must then point at the prefix.
    var segmentPrefixedSteps: Set<Int> = []

    static let memorySize = 1024
    static let maximumSteps = 16
}
