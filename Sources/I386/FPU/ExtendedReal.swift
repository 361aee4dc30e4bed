/// An x87 80-bit double extended-precision value, as its bits: a 64-bit
/// significand with an explicit integer bit (bit 63), then 15 exponent bits
/// biased by 16383 and the sign in one 16-bit word.
///
/// This is a bit pattern, not a number: kstep never computes with it in Swift.
/// Arithmetic runs on the host's x87 (see `X87State` and `CX87`), so the
/// formats the x87 does not support (unnormals, pseudo-NaNs, …) survive
/// every copy exactly.
public struct ExtendedReal: Hashable, Sendable, CustomStringConvertible {
    /// The 64 significand bits, integer bit included.
    public var significand: UInt64
    /// The sign (bit 15) and the biased exponent (bits 0–14).
    public var signAndExponent: UInt16

    /// The value with these bits.
    public init(significand: UInt64, signAndExponent: UInt16) {
        self.significand = significand
        self.signAndExponent = signAndExponent
    }

    /// The value stored little-endian in the first 10 bytes of `bytes`
    /// (missing bytes read as zero).
    public init(bytes: some Collection<UInt8>) {
        var significand: UInt64 = 0
        var signAndExponent: UInt16 = 0
        for (index, byte) in bytes.prefix(10).enumerated() {
            if index < 8 {
                significand |= UInt64(byte) << (8 * UInt64(index))
            } else {
                signAndExponent |= UInt16(byte) << (8 * UInt16(index - 8))
            }
        }
        self.init(significand: significand, signAndExponent: signAndExponent)
    }

    /// The 10 bytes as they sit in memory (m80fp, fnsave and fxsave slots).
    public var bytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: significand >> (8 * UInt64($0))) }
            + [UInt8(truncatingIfNeeded: signAndExponent), UInt8(truncatingIfNeeded: signAndExponent >> 8)]
    }

    /// True when the sign bit is set (also for zeros and NaNs).
    public var isNegative: Bool { signAndExponent & 0x8000 != 0 }

    /// The biased exponent, 0…0x7FFF.
    public var biasedExponent: UInt16 { signAndExponent & 0x7FFF }

    /// The explicit integer bit (significand bit 63).
    public var integerBit: Bool { significand >> 63 != 0 }

    /// What kind of value these bits encode, as the SDM's Table 8-3 (and,
    /// for the unsupported encodings, the 8087/287 terms) classify it.
    public var classification: ExtendedRealClass {
        let exponent = biasedExponent
        let fraction = significand & 0x7FFF_FFFF_FFFF_FFFF
        switch exponent {
        case 0:
            if significand == 0 { return .zero }
            return integerBit ? .pseudoDenormal : .denormal
        case 0x7FFF:
            if !integerBit { return fraction == 0 ? .pseudoInfinity : .pseudoNaN }
            if fraction == 0 { return .infinity }
            return fraction >> 62 != 0 ? .quietNaN : .signalingNaN
        default:
            return integerBit ? .normal : .unnormal
        }
    }

    /// The tag fnstenv/fnsave report for a register holding this value:
    /// zero, special (NaNs, infinities, denormals and every unsupported
    /// encoding) or valid.
    public var tag: X87Tag {
        switch classification {
        case .zero: .zero
        case .normal: .valid
        default: .special
        }
    }

    /// The value with the sign bit flipped.
    public var negated: ExtendedReal {
        ExtendedReal(significand: significand, signAndExponent: signAndExponent ^ 0x8000)
    }

    /// The QNaN floating-point indefinite (negative, quiet bit only): the
    /// masked response to an invalid operation that has no NaN operand.
    public static let indefinite = ExtendedReal(significand: 0xC000_0000_0000_0000, signAndExponent: 0xFFFF)
    /// +0.0.
    public static let zero = ExtendedReal(significand: 0, signAndExponent: 0)
    /// +1.0.
    public static let one = ExtendedReal(significand: 0x8000_0000_0000_0000, signAndExponent: 0x3FFF)

    /// `SEEEE:SSSSSSSSSSSSSSSS` in hexadecimal, sign and exponent first.
    public var description: String {
        let head = String(signAndExponent, radix: 16)
        let tail = String(significand, radix: 16)
        return String(repeating: "0", count: 4 - head.count) + head + ":"
            + String(repeating: "0", count: 16 - tail.count) + tail
    }
}
