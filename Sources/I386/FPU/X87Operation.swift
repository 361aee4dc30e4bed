/// The x87 instructions without explicit operands that compute on ST(0), or
/// on ST(0) and ST(1). Each documents its mnemonic and where its result goes.
public enum X87Operation: Hashable, Sendable, CaseIterable {
    /// fchs: ST(0) ← −ST(0).
    case changeSign
    /// fabs: ST(0) ← |ST(0)|.
    case absoluteValue
    /// fsqrt: ST(0) ← √ST(0) (rounded to the precision control).
    case squareRoot
    /// frndint: ST(0) ← ST(0) rounded to an integer by the rounding control.
    case roundToInteger
    /// f2xm1: ST(0) ← 2^ST(0) − 1, for −1 ≤ ST(0) ≤ 1.
    case twoToXMinusOne
    /// fsin: ST(0) ← sin ST(0); |ST(0)| ≥ 2⁶³ sets C2 and changes nothing.
    case sine
    /// fcos: ST(0) ← cos ST(0); out of range as fsin.
    case cosine
    /// fsincos: ST(0) ← sin ST(0), then push cos; out of range as fsin.
    case sineAndCosine
    /// fptan: ST(0) ← tan ST(0), then push 1.0; out of range as fsin.
    case partialTangent
    /// fxtract: ST(0) ← the exponent, then push the significand.
    case extractExponentAndSignificand
    /// fscale: ST(0) ← ST(0) × 2^trunc(ST(1)).
    case scale
    /// fprem: ST(0) ← the partial remainder of ST(0) ÷ ST(1), truncating
    /// quotient; C2 = incomplete, C0/C3/C1 = quotient bits 2/1/0.
    case partialRemainder
    /// fprem1: as fprem with the quotient rounded to nearest (IEEE remainder).
    case ieeePartialRemainder
    /// fpatan: ST(1) ← arctan(ST(1) ÷ ST(0)), then pop.
    case partialArctangent
    /// fyl2x: ST(1) ← ST(1) × log₂ST(0), then pop.
    case yLog2X
    /// fyl2xp1: ST(1) ← ST(1) × log₂(ST(0) + 1), then pop.
    case yLog2XPlusOne
}
