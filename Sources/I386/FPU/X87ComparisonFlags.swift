/// The EFLAGS result of fcomi, fcomip, fucomi and fucomip: ZF, PF and CF as
/// the comparison sets them (greater 000, less 001, equal 100, unordered
/// 111); the instructions clear OF, SF and AF.
public struct X87ComparisonFlags: Hashable, Sendable {
    /// ZF: equal or unordered.
    public var zero: Bool
    /// PF: unordered.
    public var parity: Bool
    /// CF: less than or unordered.
    public var carry: Bool

    /// The flags with these values.
    public init(zero: Bool, parity: Bool, carry: Bool) {
        self.zero = zero
        self.parity = parity
        self.carry = carry
    }

    /// ZF, PF and CF as EFLAGS bits (OF, SF and AF clear).
    public var eflagsBits: UInt32 {
        (zero ? 0x40 : 0) | (parity ? 0x04 : 0) | (carry ? 0x01 : 0)
    }

    /// The EFLAGS bits the instructions write: ZF, PF, CF, and OF, SF, AF (cleared).
    public static let writtenMask: UInt32 = 0x08D5

    /// The result of an unordered comparison (also the masked response to an
    /// invalid operation).
    public static let unordered = X87ComparisonFlags(zero: true, parity: true, carry: true)
}
