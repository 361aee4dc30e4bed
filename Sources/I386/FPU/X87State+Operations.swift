/// The operand-less computing instructions: fchs, fabs, fsqrt, frndint,
/// f2xm1, fsin, fcos, fsincos, fptan, fxtract, fscale, fprem, fprem1,
/// fpatan, fyl2x, fyl2xp1.
extension X87State {
    /// Executes `operation` (see `X87Operation` for each one's operands and
    /// results).
    ///
    /// Stack faults: an empty operand is a stack underflow; masked, the
    /// destination becomes the indefinite (for fsincos, fptan and fxtract
    /// ST(0) becomes the indefinite and another indefinite is pushed; for
    /// fpatan, fyl2x and fyl2xp1 ST(1) becomes the indefinite and the stack
    /// is popped). fsincos, fptan and fxtract also need ST(7) empty for their
    /// push; a full stack is a stack overflow with the same masked response.
    /// fsin, fcos, fsincos and fptan leave everything but C2 alone when the
    /// operand is out of range (C2 set). A stack fault clears C2 for these
    /// and for fprem and fprem1 (as the host does).
    public mutating func perform(_ operation: X87Operation) {
        // A stack fault clears the "incomplete"/"out of range" C2 these define.
        if operation.definesC2, isEmpty(st: 0) || (operation.shape == .st0FromST0AndST1 && isEmpty(st: 1))
            || (operation.shape == .st0ThenPush && !canPush) {
            statusWord.c2 = false
        }
        switch operation.shape {
        case .st0InPlace:
            guard !isEmpty(st: 0) else {
                if signalStackUnderflow() { setST(0, .indefinite) }
                return
            }
            let (outcome, unmasked) = executeOnHost(operation.hostForm, st0: st(0))
            if unmasked.isDisjoint(with: .preventingRegisterResult) { setST(0, outcome.register(0)) }

        case .st0ThenPush:
            let isMasked: Bool
            if isEmpty(st: 0) {
                isMasked = signalStackUnderflow()
            } else if !canPush {
                isMasked = signalStackOverflow()
            } else {
                let (outcome, unmasked) = executeOnHost(operation.hostForm, st0: st(0))
                // Out of range (fsincos, fptan): C2 set, nothing written.
                let isOutOfRange = operation != .extractExponentAndSignificand && outcome.status.c2
                guard unmasked.isDisjoint(with: .preventingRegisterResult), !isOutOfRange,
                      outcome.depth == 2 else { return }
                setST(0, outcome.register(1))
                push(outcome.register(0))
                return
            }
            if isMasked {
                setST(0, .indefinite)
                push(.indefinite)
            }

        case .st0FromST0AndST1:
            guard !isEmpty(st: 0), !isEmpty(st: 1) else {
                if signalStackUnderflow() { setST(0, .indefinite) }
                return
            }
            let (outcome, unmasked) = executeOnHost(operation.hostForm, st0: st(0), st1: st(1))
            if unmasked.isDisjoint(with: .preventingRegisterResult) { setST(0, outcome.register(0)) }

        case .st1ThenPop:
            guard !isEmpty(st: 0), !isEmpty(st: 1) else {
                if signalStackUnderflow() {
                    setST(1, .indefinite)
                    popStack()
                }
                return
            }
            let (outcome, unmasked) = executeOnHost(operation.hostForm, st0: st(0), st1: st(1))
            guard unmasked.isDisjoint(with: .preventingRegisterResult) else { return }
            setST(1, outcome.register(0))
            popStack()
        }
    }
}
