internal import CX87

/// fcom, fcomp, fcompp, ficom, ficomp, fucom, fucomp, fucompp, fcomi,
/// fcomip, fucomi, fucomip, ftst and fxam.
///
/// The condition codes of a comparison: greater C3 C2 C0 = 000, less 001,
/// equal 100, unordered 111; C1 is cleared. fcom raises an invalid operation
/// for any NaN operand, fucom only for an SNaN (both for unsupported
/// encodings).
extension X87State {
    /// fcom, fcomp, fcompp (`unordered` false) and fucom, fucomp, fucompp
    /// (`unordered` true): compares ST(0) with ST(`index`), then pops
    /// `pops` times (0, 1, or 2 for fcompp and fucompp).
    ///
    /// An empty operand is a stack underflow: the result is unordered
    /// (masked or not, as on the host) and, masked, the pops happen.
    public mutating func compare(st0WithST index: Int, unordered: Bool = false, pops: Int = 0) {
        let source = index & 7
        guard !isEmpty(st: 0), !isEmpty(st: source) else {
            setUnorderedConditionCodes()
            if signalStackUnderflow() { popStack(times: pops) }
            return
        }
        let (_, unmasked) = executeOnHost(unordered ? .CX87_FUCOM_ST1 : .CX87_FCOM_ST1, st0: st(0), st1: st(source))
        if unmasked.isDisjoint(with: .preventingRegisterResult) { popStack(times: pops) }
    }

    /// fcom, fcomp (m32fp, m64fp) and ficom, ficomp (m16int, m32int):
    /// compares ST(0) with `operand`, then pops when `popping`. Other formats
    /// have no encoding; kstep compares as if the operand were in a register.
    public mutating func compare(st0With operand: X87MemoryOperand, popping: Bool = false) {
        guard !isEmpty(st: 0) else {
            setUnorderedConditionCodes()
            if signalStackUnderflow(), popping { popStack() }
            return
        }
        let form: cx87_operation?
        switch operand.format {
        case .float32: form = .CX87_FCOM_M32
        case .float64: form = .CX87_FCOM_M64
        case .int16: form = .CX87_FICOM_M16
        case .int32: form = .CX87_FICOM_M32
        case .float80, .int64, .packedBCD: form = nil
        }
        let unmasked: X87Exceptions
        if let form {
            unmasked = executeOnHost(form, st0: st(0), memory: operand.bits).unmasked
        } else {
            unmasked = executeOnHost(.CX87_FCOM_ST1, st0: st(0), st1: exactExtendedValue(of: operand)).unmasked
        }
        if unmasked.isDisjoint(with: .preventingRegisterResult), popping { popStack() }
    }

    /// fcomi, fcomip (`unordered` false) and fucomi, fucomip (`unordered`
    /// true): compares ST(0) with ST(`index`), pops when `popping`, and
    /// returns EFLAGS after the instruction given `eflags` before: ZF, PF, CF
    /// as the comparison sets them (`X87ComparisonFlags`), OF, SF, AF clear,
    /// the other bits as they were. C1 is cleared; C0, C2, C3 stay.
    ///
    /// An empty operand is a stack underflow: the flags say unordered
    /// (masked or not, as on the host) and, masked, the pop happens. An
    /// unmasked invalid operation from a NaN operand leaves EFLAGS as the host
    /// leaves them and does not pop.
    public mutating func compareSettingFlags(st0WithST index: Int, unordered: Bool = false, popping: Bool = false,
                                             eflags: UInt32) -> UInt32 {
        let source = index & 7
        guard !isEmpty(st: 0), !isEmpty(st: source) else {
            if signalStackUnderflow(), popping { popStack() }
            return (eflags & ~X87ComparisonFlags.writtenMask) | X87ComparisonFlags.unordered.eflagsBits
        }
        let (outcome, unmasked) = executeOnHost(unordered ? .CX87_FUCOMI_ST1 : .CX87_FCOMI_ST1,
                                                st0: st(0), st1: st(source), eflags: eflags)
        if unmasked.isDisjoint(with: .preventingRegisterResult), popping { popStack() }
        return (eflags & ~X87ComparisonFlags.writtenMask) | (outcome.eflags & X87ComparisonFlags.writtenMask)
    }

    /// ftst: compares ST(0) with +0.0. An empty ST(0) is a stack
    /// underflow with an unordered result.
    public mutating func test() {
        guard !isEmpty(st: 0) else {
            setUnorderedConditionCodes()
            _ = signalStackUnderflow()
            return
        }
        _ = executeOnHost(.CX87_FTST, st0: st(0))
    }

    /// fxam: classifies ST(0) into C3 C2 C0 (unsupported 000, NaN 001,
    /// normal 010, infinity 011, zero 100, empty 101, denormal 110) with
    /// its sign in C1. Raises nothing.
    public mutating func examine() {
        guard !isEmpty(st: 0) else {
            statusWord.c3 = true
            statusWord.c2 = false
            statusWord.c1 = st(0).isNegative
            statusWord.c0 = true
            return
        }
        _ = executeOnHost(.CX87_FXAM, st0: st(0))
    }

    private mutating func setUnorderedConditionCodes() {
        statusWord.c3 = true
        statusWord.c2 = true
        statusWord.c0 = true
    }

    mutating func popStack(times count: Int) {
        for _ in 0..<max(0, min(count, 8)) { popStack() }
    }
}
