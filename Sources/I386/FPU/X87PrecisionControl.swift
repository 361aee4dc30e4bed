/// The control word's precision-control field (PC, bits 8–9): the significand
/// width fadd, fsub, fmul, fdiv and fsqrt round to. Other instructions ignore it.
public enum X87PrecisionControl: UInt16, Hashable, Sendable, CaseIterable {
    /// 24 bits (00).
    case single = 0
    /// 01 is reserved; the host's x87 treats it as it does, and kstep passes it through.
    case reserved = 1
    /// 53 bits (10).
    case double = 2
    /// 64 bits (11; the default).
    case extended = 3
}
