/// The x87 status word: exception flags (bits 0–5), stack fault SF (6), error
/// summary ES (7), condition codes C0 (8), C1 (9), C2 (10), C3 (14), TOP
/// (11–13) and busy B (15).
///
/// ES is the OR of the unmasked exception flags and B mirrors ES, as on every
/// x87 since the 387: whenever the flags or the masks change (an instruction,
/// fldcw, fldenv, frstor, fxrstor) `X87State` recomputes both, so a status
/// word loaded with ES or B set but nothing unmasked reads back without them
/// (measured on the host with fldenv).
public struct X87StatusWord: RawRepresentable, Hashable, Sendable {
    /// The word as fnstsw stores it.
    public var rawValue: UInt16

    /// The word with these bits.
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// The exception flags (sticky until fnclex, fninit, or a load of the environment).
    public var exceptions: X87Exceptions {
        get { X87Exceptions(rawValue: rawValue) }
        set { rawValue = (rawValue & ~0x3F) | newValue.rawValue }
    }

    /// SF: the invalid operation was a stack overflow (C1 = 1) or underflow (C1 = 0).
    public var stackFault: Bool {
        get { bit(6) }
        set { setBit(6, newValue) }
    }

    /// ES: an unmasked exception is pending; the next waiting x87 instruction
    /// raises #MF (CR0.NE = 1) or asserts FERR# (CR0.NE = 0).
    public var errorSummary: Bool {
        get { bit(7) }
        set { setBit(7, newValue) }
    }

    /// B: busy, a copy of ES.
    public var busy: Bool {
        get { bit(15) }
        set { setBit(15, newValue) }
    }

    /// Condition code C0.
    public var c0: Bool {
        get { bit(8) }
        set { setBit(8, newValue) }
    }

    /// Condition code C1 (also the stack-fault direction and the round-up indicator).
    public var c1: Bool {
        get { bit(9) }
        set { setBit(9, newValue) }
    }

    /// Condition code C2.
    public var c2: Bool {
        get { bit(10) }
        set { setBit(10, newValue) }
    }

    /// Condition code C3.
    public var c3: Bool {
        get { bit(14) }
        set { setBit(14, newValue) }
    }

    /// The four condition codes in their places (mask 0x4700).
    public var conditionCodes: UInt16 {
        get { rawValue & Self.conditionCodeMask }
        set { rawValue = (rawValue & ~Self.conditionCodeMask) | (newValue & Self.conditionCodeMask) }
    }

    /// TOP: the physical register that is ST(0).
    public var top: Int {
        get { Int((rawValue >> 11) & 7) }
        set { rawValue = (rawValue & ~0x3800) | UInt16(truncatingIfNeeded: newValue & 7) << 11 }
    }

    /// Where C0, C1, C2 and C3 sit.
    public static let conditionCodeMask: UInt16 = 0x4700

    private func bit(_ index: UInt16) -> Bool { rawValue & (1 << index) != 0 }

    private mutating func setBit(_ index: UInt16, _ value: Bool) {
        if value { rawValue |= 1 << index } else { rawValue &= ~(1 << index) }
    }
}
