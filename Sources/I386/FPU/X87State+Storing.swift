/// fst, fstp, fist, fistp, fbstp (to memory) and fst, fstp st(i).
///
/// Stores to memory return the value to write, or nil when memory must not be
/// written: after an unmasked invalid operation, overflow or underflow the
/// destination is untouched and nothing is popped (§8.5; measured on the
/// host). An empty ST(0) is a stack underflow; masked, the format's
/// indefinite is stored (and the stack popped as usual).
extension X87State {
    /// fst/fstp m32fp, m64fp, m80fp; fist/fistp m16int, m32int; fistp
    /// m64int; fbstp m80bcd: ST(0) converted to `format` (rounded by the
    /// rounding control; out of range for an integer format is an invalid
    /// operation, whose masked response is the integer indefinite), then a
    /// pop when `popping`. m80fp is copied bit for bit and raises nothing.
    ///
    /// The encodings have no non-popping m64int or m80bcd store and no
    /// non-popping m80fp store; called with `popping` false these store the
    /// same value and leave the stack alone.
    public mutating func store(as format: X87MemoryFormat, popping: Bool) -> X87MemoryOperand? {
        guard !isEmpty(st: 0) else {
            guard signalStackUnderflow() else { return nil }
            if popping { popStack() }
            return format.indefinite
        }
        guard let form = format.hostStoreForm else {
            statusWord.c1 = false
            let value = st(0)
            if popping { popStack() }
            return .float80(value)
        }
        let (outcome, unmasked) = executeOnHost(form, st0: st(0))
        guard unmasked.isDisjoint(with: .preventingMemoryResult) else { return nil }
        if popping { popStack() }
        return X87MemoryOperand(format: format, bits: outcome.memory)
    }

    /// fst m32fp / fstp m32fp: the bits to write, or nil.
    public mutating func storeFloat32(popping: Bool) -> UInt32? {
        guard case .float32(let bits)? = store(as: .float32, popping: popping) else { return nil }
        return bits
    }

    /// fst m64fp / fstp m64fp: the bits to write, or nil.
    public mutating func storeFloat64(popping: Bool) -> UInt64? {
        guard case .float64(let bits)? = store(as: .float64, popping: popping) else { return nil }
        return bits
    }

    /// fstp m80fp: the value to write (never nil unless ST(0) is empty and IE unmasked).
    public mutating func storeFloat80(popping: Bool) -> ExtendedReal? {
        guard case .float80(let value)? = store(as: .float80, popping: popping) else { return nil }
        return value
    }

    /// fist m16int / fistp m16int: the integer to write (0x8000 for a masked
    /// invalid operation), or nil.
    public mutating func storeInt16(popping: Bool) -> Int16? {
        guard case .int16(let value)? = store(as: .int16, popping: popping) else { return nil }
        return value
    }

    /// fist m32int / fistp m32int: the integer to write (0x80000000 for a
    /// masked invalid operation), or nil.
    public mutating func storeInt32(popping: Bool) -> Int32? {
        guard case .int32(let value)? = store(as: .int32, popping: popping) else { return nil }
        return value
    }

    /// fistp m64int: the integer to write (0x8000000000000000 for a masked
    /// invalid operation), or nil.
    public mutating func storeInt64(popping: Bool) -> Int64? {
        guard case .int64(let value)? = store(as: .int64, popping: popping) else { return nil }
        return value
    }

    /// fbstp m80bcd: the packed BCD to write (the BCD indefinite for a
    /// masked invalid operation), or nil.
    public mutating func storePackedBCD(popping: Bool) -> PackedBCD? {
        guard case .packedBCD(let value)? = store(as: .packedBCD, popping: popping) else { return nil }
        return value
    }

    /// fst st(i) / fstp st(i): ST(`index`) ← ST(0), then a pop when
    /// `popping` (fstp st(0) just pops). The copy is exact and raises
    /// nothing; C1 is cleared. An empty ST(0) is a stack underflow; masked,
    /// ST(`index`) becomes the indefinite.
    public mutating func store(toST index: Int, popping: Bool) {
        guard !isEmpty(st: 0) else {
            if signalStackUnderflow() {
                setST(index & 7, .indefinite)
                if popping { popStack() }
            }
            return
        }
        statusWord.c1 = false
        setST(index & 7, st(0))
        if popping { popStack() }
    }
}
