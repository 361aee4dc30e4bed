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
    /// An empty operand is a stack underflow; masked, the result is
    /// unordered and the pops happen.
    public mutating func compare(st0WithST index: Int, unordered: Bool = false, pops: Int = 0) {
        let source = index & 7
        guard !isEmpty(st: 0), !isEmpty(st: source) else {
            if signalStackUnderflow() {
                setUnorderedConditionCodes()
                popStack(times: pops)
            }
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
            if signalStackUnderflow() {
                setUnorderedConditionCodes()
                if popping { popStack() }
            }
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
    /// returns the EFLAGS result, or nil when an unmasked invalid operation
    /// leaves EFLAGS unchanged. C1 is cleared; C0, C2, C3 stay.
    public mutating func compareSettingFlags(st0WithST index: Int, unordered: Bool = false,
                                             popping: Bool = false) -> X87ComparisonFlags? {
        let source = index & 7
        guard !isEmpty(st: 0), !isEmpty(st: source) else {
            guard signalStackUnderflow() else { return nil }
            if popping { popStack() }
            return .unordered
        }
        let (outcome, unmasked) = executeOnHost(unordered ? .CX87_FUCOMI_ST1 : .CX87_FCOMI_ST1,
                                                st0: st(0), st1: st(source))
        guard unmasked.isDisjoint(with: .preventingRegisterResult) else { return nil }
        if popping { popStack() }
        return X87ComparisonFlags(zero: outcome.eflags & 0x40 != 0, parity: outcome.eflags & 0x04 != 0,
                                  carry: outcome.eflags & 0x01 != 0)
    }

    /// ftst: compares ST(0) with +0.0.
    public mutating func test() {
        guard !isEmpty(st: 0) else {
            if signalStackUnderflow() { setUnorderedConditionCodes() }
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
