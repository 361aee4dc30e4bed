internal import CX87

extension X87Operation {
    /// Where an operation reads and writes on the register stack.
    enum Shape {
        /// ST(0) ← f(ST(0)).
        case st0InPlace
        /// ST(0) ← f(ST(0)), then push a second result.
        case st0ThenPush
        /// ST(0) ← f(ST(0), ST(1)).
        case st0FromST0AndST1
        /// ST(1) ← f(ST(0), ST(1)), then pop.
        case st1ThenPop
    }

    /// The operation's shape.
    var shape: Shape {
        switch self {
        case .changeSign, .absoluteValue, .squareRoot, .roundToInteger, .twoToXMinusOne, .sine, .cosine:
            .st0InPlace
        case .sineAndCosine, .partialTangent, .extractExponentAndSignificand:
            .st0ThenPush
        case .scale, .partialRemainder, .ieeePartialRemainder:
            .st0FromST0AndST1
        case .partialArctangent, .yLog2X, .yLog2XPlusOne:
            .st1ThenPop
        }
    }

    /// True for the operations whose C2 means something (out of range for
    /// the trigonometric ones, incomplete for the remainders).
    var definesC2: Bool {
        switch self {
        case .sine, .cosine, .sineAndCosine, .partialTangent, .partialRemainder, .ieeePartialRemainder: true
        default: false
        }
    }

    /// The host instruction.
    var hostForm: cx87_operation {
        switch self {
        case .changeSign: .CX87_FCHS
        case .absoluteValue: .CX87_FABS
        case .squareRoot: .CX87_FSQRT
        case .roundToInteger: .CX87_FRNDINT
        case .twoToXMinusOne: .CX87_F2XM1
        case .sine: .CX87_FSIN
        case .cosine: .CX87_FCOS
        case .sineAndCosine: .CX87_FSINCOS
        case .partialTangent: .CX87_FPTAN
        case .extractExponentAndSignificand: .CX87_FXTRACT
        case .scale: .CX87_FSCALE
        case .partialRemainder: .CX87_FPREM
        case .ieeePartialRemainder: .CX87_FPREM1
        case .partialArctangent: .CX87_FPATAN
        case .yLog2X: .CX87_FYL2X
        case .yLog2XPlusOne: .CX87_FYL2XP1
        }
    }
}
