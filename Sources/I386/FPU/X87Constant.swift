/// The constants the x87 loads with fld1, fldl2t, fldl2e, fldpi, fldlg2,
/// fldln2 and fldz. The irrational ones are held internally with more than 64
/// bits and rounded by the control word's rounding mode (precision control
/// does not apply), so kstep loads them on the host under the guest's control word.
public enum X87Constant: Hashable, Sendable, CaseIterable {
    /// fld1: +1.0.
    case one
    /// fldl2t: log₂10.
    case log2Of10
    /// fldl2e: log₂e.
    case log2OfE
    /// fldpi: π.
    case pi
    /// fldlg2: log₁₀2.
    case log10Of2
    /// fldln2: logₑ2.
    case lnOf2
    /// fldz: +0.0.
    case zero
}
