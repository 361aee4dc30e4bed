/// add, adc, sub, sbb, cmp, inc, dec, neg, mul, imul, div, idiv.
extension Machine {
    @inline(__always)
    func add(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let address = try memoryAddress(op)
        let left = try read(op.destination, op, size: size, address: address)
        let right = try read(op.source, op, size: size, address: address)
        let result = (left &+ right) & sizeMask(size)
        try write(op.destination, size: size, address: address, result)
        setLazyFlags(.add, left, right, result, size: size)
    }

    func adc(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let address = try memoryAddress(op)
        let left = try read(op.destination, op, size: size, address: address)
        let right = try read(op.source, op, size: size, address: address)
        let carry = carryFlag
        let result = (left &+ right &+ carry) & sizeMask(size)
        try write(op.destination, size: size, address: address, result)
        setLazyFlags(carry == 0 ? .add : .adcWithCarry, left, right, result, size: size)
    }

    @inline(__always)
    func sub(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let address = try memoryAddress(op)
        let left = try read(op.destination, op, size: size, address: address)
        let right = try read(op.source, op, size: size, address: address)
        let result = (left &- right) & sizeMask(size)
        try write(op.destination, size: size, address: address, result)
        setLazyFlags(.sub, left, right, result, size: size)
    }

    func sbb(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let address = try memoryAddress(op)
        let left = try read(op.destination, op, size: size, address: address)
        let right = try read(op.source, op, size: size, address: address)
        let borrow = carryFlag
        let result = (left &- right &- borrow) & sizeMask(size)
        try write(op.destination, size: size, address: address, result)
        setLazyFlags(borrow == 0 ? .sub : .sbbWithBorrow, left, right, result, size: size)
    }

    @inline(__always)
    func cmp(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let address = try memoryAddress(op)
        let left = try read(op.destination, op, size: size, address: address)
        let right = try read(op.source, op, size: size, address: address)
        setLazyFlags(.sub, left, right, (left &- right) & sizeMask(size), size: size)
    }

    @inline(__always)
    func inc(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let address = try memoryAddress(op)
        let value = try read(op.destination, op, size: size, address: address)
        let result = (value &+ 1) & sizeMask(size)
        try write(op.destination, size: size, address: address, result)
        setIncDecFlags(.inc, value, result, size: size)
    }

    @inline(__always)
    func dec(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let address = try memoryAddress(op)
        let value = try read(op.destination, op, size: size, address: address)
        let result = (value &- 1) & sizeMask(size)
        try write(op.destination, size: size, address: address, result)
        setIncDecFlags(.dec, value, result, size: size)
    }

    func neg(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let address = try memoryAddress(op)
        let value = try read(op.destination, op, size: size, address: address)
        let result = (0 &- value) & sizeMask(size)
        try write(op.destination, size: size, address: address, result)
        setLazyFlags(.sub, 0, value, result, size: size)
    }

    // MARK: Multiplication and division
    //
    // mul/imul leave SF, ZF, AF and PF undefined: kstep sets SF, ZF and PF
    // from the low half of the product and clears AF. div/idiv leave all six
    // undefined: kstep leaves them unchanged.

    func mul(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let address = try memoryAddress(op)
        let factor = UInt64(try read(op.source, op, size: size, address: address))
        let low: UInt32
        let overflow: Bool
        switch size {
        case 1:
            let product = UInt64(registers[0] & 0xFF) * factor
            setRegister(0, size: 2, UInt32(product))
            low = UInt32(product & 0xFF)
            overflow = product > 0xFF
        case 2:
            let product = UInt64(registers[0] & 0xFFFF) * factor
            setRegister(0, size: 2, UInt32(product & 0xFFFF))
            setRegister(2, size: 2, UInt32(product >> 16))
            low = UInt32(product & 0xFFFF)
            overflow = product > 0xFFFF
        default:
            let product = UInt64(registers[0]) * factor
            registers[0] = UInt32(truncatingIfNeeded: product)
            registers[2] = UInt32(truncatingIfNeeded: product >> 32)
            low = registers[0]
            overflow = product > 0xFFFF_FFFF
        }
        setMultiplyFlags(low: low, size: size, overflow: overflow)
    }

    func imul1(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let address = try memoryAddress(op)
        let factor = Int64(Int32(bitPattern: signExtend(try read(op.source, op, size: size, address: address), size: size)))
        let accumulator = Int64(Int32(bitPattern: signExtend(registers[0], size: size)))
        let product = accumulator * factor  // |product| < 2^62: cannot overflow
        let bits = UInt64(bitPattern: product)
        let low: UInt32
        switch size {
        case 1:
            setRegister(0, size: 2, UInt32(bits & 0xFFFF))
            low = UInt32(bits & 0xFF)
        case 2:
            setRegister(0, size: 2, UInt32(bits & 0xFFFF))
            setRegister(2, size: 2, UInt32((bits >> 16) & 0xFFFF))
            low = UInt32(bits & 0xFFFF)
        default:
            registers[0] = UInt32(truncatingIfNeeded: bits)
            registers[2] = UInt32(truncatingIfNeeded: bits >> 32)
            low = registers[0]
        }
        let fits = Int64(Int32(bitPattern: signExtend(low, size: size))) == product
        setMultiplyFlags(low: low, size: size, overflow: !fits)
    }

    /// imul r, r/m (`imul2`) and imul r, r/m, imm (`imul3`).
    func imul2(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let address = try memoryAddress(op)
        let source = try read(op.source, op, size: size, address: address)
        let other = op.kind == .imul3 ? op.immediate : register(op.destination, size: size)
        let product = Int64(Int32(bitPattern: signExtend(source, size: size)))
            * Int64(Int32(bitPattern: signExtend(other, size: size)))
        let low = UInt32(truncatingIfNeeded: product) & sizeMask(size)
        setRegister(op.destination, size: size, low)
        let fits = Int64(Int32(bitPattern: signExtend(low, size: size))) == product
        setMultiplyFlags(low: low, size: size, overflow: !fits)
    }

    private func setMultiplyFlags(low: UInt32, size: Int, overflow: Bool) {
        var flags = resultFlags(low, size: size)
        if overflow { flags |= EFLAGS.cf | EFLAGS.of }
        setFlags(flags, mask: EFLAGS.arithmetic)
    }

    func div(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let address = try memoryAddress(op)
        let divisor = UInt64(try read(op.source, op, size: size, address: address))
        guard divisor != 0 else { throw .divideError }
        switch size {
        case 1:
            let dividend = UInt64(registers[0] & 0xFFFF)
            let quotient = dividend / divisor
            guard quotient <= 0xFF else { throw .divideError }
            setRegister(0, size: 1, UInt32(quotient))
            setRegister(4, size: 1, UInt32(dividend % divisor))
        case 2:
            let dividend = UInt64(registers[2] & 0xFFFF) << 16 | UInt64(registers[0] & 0xFFFF)
            let quotient = dividend / divisor
            guard quotient <= 0xFFFF else { throw .divideError }
            setRegister(0, size: 2, UInt32(quotient))
            setRegister(2, size: 2, UInt32(dividend % divisor))
        default:
            let dividend = UInt64(registers[2]) << 32 | UInt64(registers[0])
            let quotient = dividend / divisor
            guard quotient <= 0xFFFF_FFFF else { throw .divideError }
            registers[0] = UInt32(quotient)
            registers[2] = UInt32(dividend % divisor)
        }
    }

    func idiv(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let address = try memoryAddress(op)
        let divisor = Int64(Int32(bitPattern: signExtend(try read(op.source, op, size: size, address: address), size: size)))
        guard divisor != 0 else { throw .divideError }
        let dividend: Int64 = switch size {
        case 1: Int64(Int16(truncatingIfNeeded: registers[0]))
        case 2: Int64(Int32(bitPattern: (registers[2] & 0xFFFF) << 16 | (registers[0] & 0xFFFF)))
        default: Int64(bitPattern: UInt64(registers[2]) << 32 | UInt64(registers[0]))
        }
        let (quotient, overflowed) = dividend.dividedReportingOverflow(by: divisor)
        let bits = Int64(size * 8)
        let limit = Int64(1) << (bits - 1)
        guard !overflowed, quotient >= -limit, quotient < limit else { throw .divideError }
        let remainder = dividend.remainderReportingOverflow(dividingBy: divisor).partialValue
        let quotientBits = UInt32(truncatingIfNeeded: quotient)
        let remainderBits = UInt32(truncatingIfNeeded: remainder)
        switch size {
        case 1:
            setRegister(0, size: 1, quotientBits)
            setRegister(4, size: 1, remainderBits)
        case 2:
            setRegister(0, size: 2, quotientBits)
            setRegister(2, size: 2, remainderBits)
        default:
            registers[0] = quotientBits
            registers[2] = remainderBits
        }
    }
}
