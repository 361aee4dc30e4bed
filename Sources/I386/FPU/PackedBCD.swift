/// An x87 packed BCD integer (m80bcd, the operand of fbld and fbstp): 18
/// decimal digits two per byte in bytes 0–8, least significant first, and
/// the sign in bit 7 of byte 9 (the other bits of byte 9 are ignored on load).
public struct PackedBCD: Hashable, Sendable {
    /// Bytes 0–7 (digits 0–15).
    public var low: UInt64
    /// Bytes 8 (digits 16–17) and 9 (sign).
    public var high: UInt16

    /// The value with these bits.
    public init(low: UInt64, high: UInt16) {
        self.low = low
        self.high = high
    }

    /// The value stored little-endian in the first 10 bytes of `bytes`.
    public init(bytes: some Collection<UInt8>) {
        let bits = ExtendedReal(bytes: bytes)
        self.init(low: bits.significand, high: bits.signAndExponent)
    }

    /// The 10 bytes as they sit in memory.
    public var bytes: [UInt8] { ExtendedReal(significand: low, signAndExponent: high).bytes }

    /// The packed BCD indefinite fbstp stores for an invalid operation when
    /// it is masked: bytes 9 and 8 are 0xFF, byte 7 is 0xC0, the rest zero.
    public static let indefinite = PackedBCD(low: 0xC000_0000_0000_0000, high: 0xFFFF)
}
