/// The instructions that move values or change state without computing:
/// fxch, fcmovcc, ffree, fincstp, fdecstp, fninit, fnclex, fldcw, fnstcw,
/// fnstsw. (fnop changes nothing but the instruction pointers.)
extension X87State {
    /// fxch st(i): exchanges ST(0) and ST(`index`); C1 cleared. An empty
    /// register is a stack underflow; masked, each empty one is replaced by
    /// the indefinite before the exchange.
    public mutating func exchange(withST index: Int) {
        let other = index & 7
        var first = st(0)
        var second = st(other)
        if isEmpty(st: 0) || isEmpty(st: other) {
            guard signalStackUnderflow() else { return }
            if isEmpty(st: 0) { first = .indefinite }
            if isEmpty(st: other) { second = .indefinite }
        }
        statusWord.c1 = false
        setST(0, second)
        setST(other, first)
    }

    /// fcmovb, fcmove, fcmovbe, fcmovu and their negations: ST(0) ←
    /// ST(`index`) when `condition` (evaluated by the integrator from
    /// EFLAGS) holds. An empty ST(0) or ST(`index`) is a stack underflow
    /// whatever the condition; masked, ST(0) becomes the indefinite. C1 is
    /// otherwise left alone (the host leaves it).
    public mutating func conditionalMove(fromST index: Int, if condition: Bool) {
        guard !isEmpty(st: 0), !isEmpty(st: index) else {
            if signalStackUnderflow() { setST(0, .indefinite) }
            return
        }
        if condition { setST(0, st(index)) }
    }

    /// ffree st(i) (and the undocumented ffreep, `popping`): tags ST(`index`)
    /// empty; its contents stay. C1 is cleared (as the host clears it).
    public mutating func free(st index: Int, popping: Bool = false) {
        occupiedRegisters &= ~(1 << physicalIndex(ofST: index))
        statusWord.c1 = false
        if popping { popStack() }
    }

    /// fincstp: TOP + 1 (no tag changes); C1 cleared.
    public mutating func incrementStackTop() {
        statusWord.top = top &+ 1
        statusWord.c1 = false
    }

    /// fdecstp: TOP − 1 (no tag changes); C1 cleared.
    public mutating func decrementStackTop() {
        statusWord.top = top &- 1
        statusWord.c1 = false
    }

    /// fninit/finit: control word 0x037F, status word 0 (TOP 0), every
    /// register empty (their contents stay), pointers and opcode zero. MXCSR
    /// and the XMM area are not x87 state and stay.
    public mutating func initialize() {
        controlWord = .initial
        statusWord = X87StatusWord(rawValue: 0)
        occupiedRegisters = 0
        lastInstruction = .cleared
    }

    /// fnclex/fclex: clears the exception flags, SF, ES and B; C0–C3 and TOP stay.
    public mutating func clearExceptions() {
        statusWord.rawValue &= ~0x80FF
    }

    /// fldcw: loads the control word (normalized as `X87ControlWord` says)
    /// and recomputes ES and B, so unmasking a set flag makes an exception
    /// pending (raised at the next waiting instruction, as the host does).
    public mutating func loadControlWord(_ word: UInt16) {
        controlWord = X87ControlWord(rawValue: word)
        updateErrorSummary()
    }
}
