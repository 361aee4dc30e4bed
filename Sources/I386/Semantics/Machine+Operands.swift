/// Reading and writing an `Op`'s operands.
extension Machine {
    /// The linear address of the memory operand, checked against its segment's
    /// limit when some segment is not flat (#GP(0), or #SS(0) for ss).
    @inline(__always)
    func linearAddress(_ op: Op, size: Int? = nil) throws(CPUException) -> UInt32 {
        var offset = registers[Int(op.base)] &+ (registers[Int(op.index)] << UInt32(op.scaleShift)) &+ op.displacement
        if op.prefixes & Op.addressSize16 != 0 { offset &= 0xFFFF }
        if nonFlatSegments & (1 << op.segment) != 0 { try checkSegmentLimit(Int(op.segment), offset: offset, size: size ?? Int(op.size)) }
        return segments[Int(op.segment)].base &+ offset
    }

    /// Faults an access of `size` bytes at `offset` outside segment `number`:
    /// a null or unusable segment, past the limit, or (expand-down) at or below it.
    @inline(never)
    func checkSegmentLimit(_ number: Int, offset: UInt32, size: Int) throws(CPUException) {
        let segment = segments[number]
        let fault: CPUException = number == SegmentName.ss.rawValue ? .stackFault(errorCode: 0) : .generalProtection(errorCode: 0)
        guard segment.attributes & 0x80 != 0 else { throw fault }  // null or not present
        let last = UInt64(offset) + UInt64(max(size, 1) - 1)
        let isExpandDown = segment.attributes & 0x1C == 0x14  // data segment, E bit set
        if isExpandDown {
            let upper: UInt64 = segment.attributes & 0x4000 != 0 ? 0xFFFF_FFFF : 0xFFFF
            guard UInt64(offset) > UInt64(segment.limit), last <= upper else { throw fault }
        } else {
            guard last <= UInt64(segment.limit) else { throw fault }
        }
    }

    /// The offset (effective address) of the memory operand, without the segment base.
    @inline(__always)
    func effectiveAddress(_ op: Op) -> UInt32 {
        let offset = registers[Int(op.base)] &+ (registers[Int(op.index)] << UInt32(op.scaleShift)) &+ op.displacement
        return op.prefixes & Op.addressSize16 != 0 ? offset & 0xFFFF : offset
    }

    /// A general register at `size` bytes (8-bit numbers 4–7 are ah, ch, dh, bh).
    @inline(__always)
    func register(_ number: UInt8, size: Int) -> UInt32 {
        switch size {
        case 4: return registers[Int(number)]
        case 2: return registers[Int(number)] & 0xFFFF
        default:
            return number < 4 ? registers[Int(number)] & 0xFF : (registers[Int(number & 3)] >> 8) & 0xFF
        }
    }

    @inline(__always)
    func setRegister(_ number: UInt8, size: Int, _ value: UInt32) {
        switch size {
        case 4: registers[Int(number)] = value
        case 2: registers[Int(number)] = (registers[Int(number)] & 0xFFFF_0000) | (value & 0xFFFF)
        default:
            if number < 4 {
                registers[Int(number)] = (registers[Int(number)] & 0xFFFF_FF00) | (value & 0xFF)
            } else {
                let slot = Int(number & 3)
                registers[slot] = (registers[slot] & 0xFFFF_00FF) | ((value & 0xFF) << 8)
            }
        }
    }

    /// Reads operand `location` at `size`; `address` is the memory operand's linear address.
    @inline(__always)
    func read(_ location: UInt8, _ op: Op, size: Int, address: UInt32) throws(CPUException) -> UInt32 {
        if location < 8 { return register(location, size: size) }
        if location == Op.memory { return try load(address, size: size) }
        return op.immediate
    }

    /// Writes operand `location` (a register or memory).
    @inline(__always)
    func write(_ location: UInt8, size: Int, address: UInt32, _ value: UInt32) throws(CPUException) {
        if location < 8 {
            setRegister(location, size: size, value)
        } else {
            try store(address, size: size, value)
        }
    }

    /// The linear address when the op has a memory operand, else 0.
    @inline(__always)
    func memoryAddress(_ op: Op, size: Int? = nil) throws(CPUException) -> UInt32 {
        op.destination == Op.memory || op.source == Op.memory ? try linearAddress(op, size: size) : 0
    }

    // MARK: Stack

    /// The stack's address-size: 4 when SS is a 32-bit (B) segment.
    @inline(__always)
    var stackPointer: UInt32 {
        get { registers[4] }
        set { registers[4] = newValue }
    }

    @inline(__always)
    func push32(_ value: UInt32) throws(CPUException) {
        let newESP = registers[4] &- 4
        try store32(segments[2].base &+ newESP, value)
        registers[4] = newESP
    }

    @inline(__always)
    func push(_ value: UInt32, size: Int) throws(CPUException) {
        let newESP = registers[4] &- UInt32(size)
        try store(segments[2].base &+ newESP, size: size, value)
        registers[4] = newESP
    }

    @inline(__always)
    func pop32() throws(CPUException) -> UInt32 {
        let value = try load32(segments[2].base &+ registers[4])
        registers[4] &+= 4
        return value
    }

    @inline(__always)
    func pop(size: Int) throws(CPUException) -> UInt32 {
        let value = try load(segments[2].base &+ registers[4], size: size)
        registers[4] &+= UInt32(size)
        return value
    }
}

/// The mask of a `size`-byte value.
@inline(__always)
func sizeMask(_ size: Int) -> UInt32 {
    size == 4 ? 0xFFFF_FFFF : (size == 2 ? 0xFFFF : 0xFF)
}

/// Sign-extends the low `size` bytes of `value` to 32 bits.
@inline(__always)
func signExtend(_ value: UInt32, size: Int) -> UInt32 {
    switch size {
    case 1: UInt32(bitPattern: Int32(Int8(truncatingIfNeeded: value)))
    case 2: UInt32(bitPattern: Int32(Int16(truncatingIfNeeded: value)))
    default: value
    }
}
