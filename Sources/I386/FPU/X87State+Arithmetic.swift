/// fadd, fsub, fsubr, fmul, fdiv, fdivr in all their forms.
extension X87State {
    /// The D8 register forms: ST(0) ← ST(0) op ST(`source`).
    ///
    /// An empty operand is a stack underflow; masked, ST(0) becomes the
    /// indefinite.
    public mutating func apply(_ operation: X87Arithmetic, toST0WithST source: Int) {
        applyToRegisters(operation, destination: 0, source: source & 7, popping: false)
    }

    /// The DC and DE register forms: ST(`destination`) ← ST(`destination`)
    /// op ST(0), then pop when `popping` (faddp, fsubp, fsubrp, fmulp,
    /// fdivp, fdivrp).
    ///
    /// An empty operand is a stack underflow; masked, ST(`destination`)
    /// becomes the indefinite and the stack is popped as usual.
    public mutating func apply(_ operation: X87Arithmetic, toST destination: Int, popping: Bool) {
        applyToRegisters(operation, destination: destination & 7, source: 0, popping: popping)
    }

    /// The memory forms: ST(0) ← ST(0) op `operand` (fadd m32fp/m64fp, fiadd
    /// m16int/m32int, and so on).
    ///
    /// The operand is converted by the host as the instruction converts it,
    /// so a denormal or SNaN single or double raises what it raises there.
    /// No encoding takes an m80fp, m64int or m80bcd operand; for those kstep
    /// computes as if the operand had been loaded exactly into a register.
    public mutating func apply(_ operation: X87Arithmetic, toST0With operand: X87MemoryOperand) {
        guard !isEmpty(st: 0) else {
            if signalStackUnderflow() { setST(0, .indefinite) }
            return
        }
        guard let form = operation.hostForm(for: operand.format) else {
            let value = exactExtendedValue(of: operand)
            let (outcome, unmasked) = executeOnHost(operation.hostFormIntoST0, st0: st(0), st1: value)
            if unmasked.isDisjoint(with: .preventingRegisterResult) { setST(0, outcome.register(0)) }
            return
        }
        let (outcome, unmasked) = executeOnHost(form, st0: st(0), memory: operand.bits)
        if unmasked.isDisjoint(with: .preventingRegisterResult) { setST(0, outcome.register(0)) }
    }

    private mutating func applyToRegisters(_ operation: X87Arithmetic, destination: Int, source: Int, popping: Bool) {
        guard !isEmpty(st: destination), !isEmpty(st: source) else {
            if signalStackUnderflow() {
                setST(destination, .indefinite)
                if popping { popStack() }
            }
            return
        }
        let result: ExtendedReal
        let unmasked: X87Exceptions
        if destination == 0 {
            let run = executeOnHost(operation.hostFormIntoST0, st0: st(0), st1: st(source))
            (result, unmasked) = (run.outcome.register(0), run.unmasked)
        } else {
            let run = executeOnHost(operation.hostFormIntoST1, st0: st(0), st1: st(destination))
            (result, unmasked) = (run.outcome.register(1), run.unmasked)
        }
        guard unmasked.isDisjoint(with: .preventingRegisterResult) else { return }
        setST(destination, result)
        if popping { popStack() }
    }

    /// An m80fp, m64int or m80bcd operand as an 80-bit value (each converts
    /// exactly); used only where no encoding reads such an operand.
    func exactExtendedValue(of operand: X87MemoryOperand) -> ExtendedReal {
        guard let form = operand.format.hostLoadForm else { return operand.bits }
        return HostX87.execute(form, memory: operand.bits, control: .initial,
                               status: X87StatusWord(rawValue: 0)).register(0)
    }
}
