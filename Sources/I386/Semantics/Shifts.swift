/// shl/sal, shr, sar, rol, ror, rcl, rcr, shld, shrd.
///
/// Counts are masked to 5 bits; a masked count of 0 changes nothing, flags
/// included. Where the SDM leaves a flag undefined (OF for counts above 1,
/// AF after shifts, CF of shl/shr by at least the operand width), kstep
/// computes OF by the 1-bit formula, clears AF, and takes CF from the bit
/// shifted out of a wide intermediate.
extension Machine {
    /// The count operand of a shift: cl or an immediate.
    @inline(__always)
    private func shiftCount(_ location: UInt8, _ op: Op) -> UInt32 {
        (location == Op.immediate ? op.immediate : registers[Int(location & 3)]) & 0x1F
    }

    /// shl/sal, shr, sar: the flags are left pending (`LazyFlags.shl`…) and
    /// evaluated only if something reads them.
    func shift(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let count = shiftCount(op.source, op)
        let address = try memoryAddress(op)
        let value = try read(op.destination, op, size: size, address: address)
        guard count != 0 else { return }
        let mask = sizeMask(size)
        let result: UInt32
        let operation: LazyFlags
        switch op.kind {
        case .shl:
            result = UInt32(truncatingIfNeeded: UInt64(value) << UInt64(count)) & mask
            operation = .shl
        case .shr:
            result = UInt32(UInt64(value) >> UInt64(count)) & mask
            operation = .shr
        default:  // sar
            let signed = Int64(Int32(bitPattern: signExtend(value, size: size)))
            result = UInt32(truncatingIfNeeded: signed >> Int64(count)) & mask
            operation = .sar
        }
        try write(op.destination, size: size, address: address, result)
        setLazyFlags(operation, value, count, result, size: size)
    }

    func rotate(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let count = shiftCount(op.source, op)
        let address = try memoryAddress(op)
        let value = try read(op.destination, op, size: size, address: address)
        guard count != 0 else { return }
        let bits = UInt32(size * 8)
        let mask = sizeMask(size)
        let amount = count % bits
        let result: UInt32
        let carry: UInt32
        let overflow: Bool
        if op.kind == .rol {
            result = amount == 0 ? value : ((value << amount) | (value >> (bits - amount))) & mask
            carry = result & 1
            overflow = ((result >> (bits - 1)) & 1) != carry
        } else {
            result = amount == 0 ? value : ((value >> amount) | (value << (bits - amount))) & mask
            carry = (result >> (bits - 1)) & 1
            overflow = ((result >> (bits - 1)) ^ (result >> (bits - 2))) & 1 != 0
        }
        try write(op.destination, size: size, address: address, result)
        setFlags(carry | (overflow ? EFLAGS.of : 0), mask: EFLAGS.cf | EFLAGS.of)
    }

    func rotateThroughCarry(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let bits = UInt64(size * 8)
        let masked = shiftCount(op.source, op)
        let count = size == 4 ? UInt64(masked) : UInt64(masked) % (bits + 1)
        let address = try memoryAddress(op)
        let value = try read(op.destination, op, size: size, address: address)
        guard count != 0 else { return }
        let oldCarry = UInt64(carryFlag)
        let span = bits + 1
        let spanMask = (UInt64(1) << span) - 1
        let combined = (oldCarry << bits) | UInt64(value)
        let rotated: UInt64
        if op.kind == .rcl {
            rotated = ((combined << count) | (combined >> (span - count))) & spanMask
        } else {
            rotated = ((combined >> count) | (combined << (span - count))) & spanMask
        }
        let result = UInt32(truncatingIfNeeded: rotated) & sizeMask(size)
        let carry = UInt32(rotated >> bits) & 1
        let overflow: Bool
        if op.kind == .rcl {
            overflow = ((result >> UInt32(bits - 1)) & 1) != carry
        } else {
            overflow = ((value >> UInt32(bits - 1)) & 1) != UInt32(oldCarry)
        }
        try write(op.destination, size: size, address: address, result)
        setFlags(carry | (overflow ? EFLAGS.of : 0), mask: EFLAGS.cf | EFLAGS.of)
    }

    /// shld/shrd: the count location is in `countLocation`, the second register in `source`.
    func doubleShift(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let count = UInt64(shiftCount(op.countLocation, op))
        let address = try memoryAddress(op)
        let destination = UInt64(try read(op.destination, op, size: size, address: address))
        guard count != 0 else { return }
        let source = UInt64(register(op.source, size: size))
        let bits = UInt64(size * 8)
        let mask = UInt64(sizeMask(size))
        let result: UInt32
        let carry: UInt32
        if op.kind == .shld {
            // A count above 16 on a 16-bit operand is undefined; kstep keeps shifting
            // the 32-bit concatenation.
            let combined = (destination << bits) | source
            result = UInt32(truncatingIfNeeded: (combined << count) >> bits & mask)
            carry = UInt32(truncatingIfNeeded: combined >> (2 * bits - count)) & 1
        } else {
            let combined = (source << bits) | destination
            result = UInt32(truncatingIfNeeded: (combined >> count) & mask)
            carry = UInt32(truncatingIfNeeded: combined >> (count - 1)) & 1
        }
        try write(op.destination, size: size, address: address, result)
        let signBit = UInt32(1) << UInt32(bits - 1)
        let overflow = (result & signBit) != (UInt32(destination) & signBit)
        var flags = resultFlags(result, size: size) | carry
        if overflow { flags |= EFLAGS.of }
        setFlags(flags, mask: EFLAGS.arithmetic)
    }
}
