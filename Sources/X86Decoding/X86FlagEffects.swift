/// The arithmetic and control flags, as bits of the flag-effect masks.
public struct X86Flags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let cf = X86Flags(rawValue: 1 << 0)
    public static let pf = X86Flags(rawValue: 1 << 2)
    public static let af = X86Flags(rawValue: 1 << 4)
    public static let zf = X86Flags(rawValue: 1 << 6)
    public static let sf = X86Flags(rawValue: 1 << 7)
    public static let tf = X86Flags(rawValue: 1 << 8)
    public static let `if` = X86Flags(rawValue: 1 << 9)
    public static let df = X86Flags(rawValue: 1 << 10)
    public static let of = X86Flags(rawValue: 1 << 11)
}

/// What Capstone says an instruction does to the flags. Bit positions are
/// EFLAGS positions, so a mask can be applied to an EFLAGS value directly.
public struct X86FlagEffects: Sendable, Equatable {
    /// Flags the instruction computes from its result.
    public var modified: X86Flags
    /// Flags it always sets to 1.
    public var set: X86Flags
    /// Flags it always clears to 0.
    public var reset: X86Flags
    /// Flags the Intel SDM leaves undefined after it.
    public var undefined: X86Flags
    /// Flags it reads.
    public var tested: X86Flags

    public init(modified: X86Flags = [], set: X86Flags = [], reset: X86Flags = [],
                undefined: X86Flags = [], tested: X86Flags = []) {
        self.modified = modified
        self.set = set
        self.reset = reset
        self.undefined = undefined
        self.tested = tested
    }
}
