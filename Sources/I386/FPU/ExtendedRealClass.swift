/// The kinds of 80-bit encodings. The x87 computes with the supported ones
/// (zero, denormal, normal, infinity and the NaNs) and raises an invalid
/// operation for the unsupported ones (pseudo-denormals, which it accepts as
/// denormals, aside).
///
/// "Empty" is not here: it is a property of a register (`X87Tag.empty`), and
/// an empty register still holds one of these encodings (fxam reports it as
/// empty whatever the encoding).
public enum ExtendedRealClass: Hashable, Sendable, CaseIterable {
    /// Exponent 0, significand 0 (either sign).
    case zero
    /// Exponent 0, integer bit clear, fraction non-zero.
    case denormal
    /// Exponent 0, integer bit set (the 8087's denormal form; read as a denormal).
    case pseudoDenormal
    /// Exponent 1…0x7FFE, integer bit set.
    case normal
    /// Exponent 1…0x7FFE, integer bit clear (unsupported).
    case unnormal
    /// Exponent 0x7FFF, significand 0x8000000000000000.
    case infinity
    /// Exponent 0x7FFF, significand 0 (unsupported).
    case pseudoInfinity
    /// Exponent 0x7FFF, integer bit and quiet bit (62) set.
    case quietNaN
    /// Exponent 0x7FFF, integer bit set, quiet bit clear, fraction non-zero.
    case signalingNaN
    /// Exponent 0x7FFF, integer bit clear, fraction non-zero (unsupported).
    case pseudoNaN
}
