internal import CX87

extension X87MemoryFormat {
    /// The host instruction that pushes a value in this format (nil for
    /// m80fp, which kstep copies itself).
    var hostLoadForm: cx87_operation? {
        switch self {
        case .float32: .CX87_FLD_M32
        case .float64: .CX87_FLD_M64
        case .float80: nil
        case .int16: .CX87_FILD_M16
        case .int32: .CX87_FILD_M32
        case .int64: .CX87_FILD_M64
        case .packedBCD: .CX87_FBLD
        }
    }

    /// The host instruction that stores ST(0) in this format (nil for m80fp).
    /// m64int and m80bcd only have popping forms; the host's pop is its own
    /// business, and `X87State` decides whether the guest pops.
    var hostStoreForm: cx87_operation? {
        switch self {
        case .float32: .CX87_FST_M32
        case .float64: .CX87_FST_M64
        case .float80: nil
        case .int16: .CX87_FIST_M16
        case .int32: .CX87_FIST_M32
        case .int64: .CX87_FISTP_M64
        case .packedBCD: .CX87_FBSTP
        }
    }

    /// What a masked invalid operation stores: the QNaN indefinite of a
    /// floating-point format, the integer indefinite (the most negative
    /// value) or the packed BCD indefinite.
    var indefinite: X87MemoryOperand {
        switch self {
        case .float32: .float32(0xFFC0_0000)
        case .float64: .float64(0xFFF8_0000_0000_0000)
        case .float80: .float80(.indefinite)
        case .int16: .int16(.min)
        case .int32: .int32(.min)
        case .int64: .int64(.min)
        case .packedBCD: .packedBCD(.indefinite)
        }
    }
}
