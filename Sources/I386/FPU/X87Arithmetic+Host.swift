internal import CX87

extension X87Arithmetic {
    /// The host form ST(0) ← ST(0) op ST(1) (opcode group D8).
    var hostFormIntoST0: cx87_operation {
        switch self {
        case .add: .CX87_FADD_ST0_ST1
        case .multiply: .CX87_FMUL_ST0_ST1
        case .subtract: .CX87_FSUB_ST0_ST1
        case .subtractReversed: .CX87_FSUBR_ST0_ST1
        case .divide: .CX87_FDIV_ST0_ST1
        case .divideReversed: .CX87_FDIVR_ST0_ST1
        }
    }

    /// The host form ST(1) ← ST(1) op ST(0) (opcode groups DC and DE).
    var hostFormIntoST1: cx87_operation {
        switch self {
        case .add: .CX87_FADD_ST1_ST0
        case .multiply: .CX87_FMUL_ST1_ST0
        case .subtract: .CX87_FSUB_ST1_ST0
        case .subtractReversed: .CX87_FSUBR_ST1_ST0
        case .divide: .CX87_FDIV_ST1_ST0
        case .divideReversed: .CX87_FDIVR_ST1_ST0
        }
    }

    /// The host form ST(0) ← ST(0) op memory, for the four formats arithmetic
    /// has encodings for (nil for the others).
    func hostForm(for format: X87MemoryFormat) -> cx87_operation? {
        let forms: [cx87_operation]
        switch format {
        case .float32: forms = [.CX87_FADD_M32, .CX87_FMUL_M32, .CX87_FSUB_M32, .CX87_FSUBR_M32, .CX87_FDIV_M32, .CX87_FDIVR_M32]
        case .float64: forms = [.CX87_FADD_M64, .CX87_FMUL_M64, .CX87_FSUB_M64, .CX87_FSUBR_M64, .CX87_FDIV_M64, .CX87_FDIVR_M64]
        case .int16: forms = [.CX87_FIADD_M16, .CX87_FIMUL_M16, .CX87_FISUB_M16, .CX87_FISUBR_M16, .CX87_FIDIV_M16, .CX87_FIDIVR_M16]
        case .int32: forms = [.CX87_FIADD_M32, .CX87_FIMUL_M32, .CX87_FISUB_M32, .CX87_FISUBR_M32, .CX87_FIDIV_M32, .CX87_FIDIVR_M32]
        case .float80, .int64, .packedBCD: return nil
        }
        switch self {
        case .add: return forms[0]
        case .multiply: return forms[1]
        case .subtract: return forms[2]
        case .subtractReversed: return forms[3]
        case .divide: return forms[4]
        case .divideReversed: return forms[5]
        }
    }
}
