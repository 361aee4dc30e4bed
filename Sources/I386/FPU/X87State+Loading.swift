internal import CX87

/// fld, fild, fbld, fld st(i) and the constants: everything that pushes one value.
///
/// A push onto a full stack (ST(7) not empty) is a stack overflow: IE, SF and
/// C1 set; masked, the indefinite is pushed; unmasked, nothing changes. C1 is
/// cleared otherwise.
extension X87State {
    /// fld m32fp/m64fp/m80fp, fild m16int/m32int/m64int, fbld m80bcd.
    ///
    /// m32fp and m64fp are converted on the host: an SNaN raises an invalid
    /// operation and loads as a QNaN (unmasked, nothing is pushed); a
    /// denormal raises the denormal-operand exception and, unlike in
    /// arithmetic, is pushed even when that exception is unmasked. That last
    /// point is the host's (AMD's) behaviour where the SDM's general rule says
    /// otherwise, so kstep pushes exactly when the host pushed. m80fp is
    /// copied bit for bit and raises nothing; the integer and BCD formats
    /// convert exactly (an invalid BCD digit gives what the host gives: the
    /// SDM leaves it undefined).
    public mutating func load(_ operand: X87MemoryOperand) {
        guard canPush else {
            if signalStackOverflow() { push(.indefinite) }
            return
        }
        guard let form = operand.format.hostLoadForm else {
            statusWord.c1 = false
            push(operand.bits)
            return
        }
        let (outcome, _) = executeOnHost(form, memory: operand.bits)
        if outcome.depth == 1 { push(outcome.register(0)) }
    }

    /// fld st(i): pushes a copy of ST(`index`) (as numbered before the push).
    /// An empty ST(`index`) is a stack underflow, checked before a full
    /// stack (so C1 is 0 when both apply, as on the host); either way the
    /// masked response pushes the indefinite.
    public mutating func load(st index: Int) {
        guard !isEmpty(st: index) else {
            if signalStackUnderflow() { push(.indefinite) }
            return
        }
        guard canPush else {
            if signalStackOverflow() { push(.indefinite) }
            return
        }
        statusWord.c1 = false
        push(st(index))
    }

    /// fld1, fldl2t, fldl2e, fldpi, fldlg2, fldln2, fldz: pushes the
    /// constant rounded by the guest's rounding control (on the host).
    public mutating func load(_ constant: X87Constant) {
        guard canPush else {
            if signalStackOverflow() { push(.indefinite) }
            return
        }
        let form: cx87_operation
        switch constant {
        case .one: form = .CX87_FLD1
        case .log2Of10: form = .CX87_FLDL2T
        case .log2OfE: form = .CX87_FLDL2E
        case .pi: form = .CX87_FLDPI
        case .log10Of2: form = .CX87_FLDLG2
        case .lnOf2: form = .CX87_FLDLN2
        case .zero: form = .CX87_FLDZ
        }
        let (outcome, unmasked) = executeOnHost(form)
        if unmasked.isDisjoint(with: .preventingRegisterResult) { push(outcome.register(0)) }
    }
}
