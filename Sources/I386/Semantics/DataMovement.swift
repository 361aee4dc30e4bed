/// mov, movzx, movsx, lea, xchg, xadd, cmpxchg, cmpxchg8b, bswap, cbw/cwde,
/// cwd/cdq, lahf, sahf, xlat, setcc, cmovcc.
extension Machine {
    @inline(__always)
    func mov(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let address = try memoryAddress(op)
        let value = try read(op.source, op, size: size, address: address)
        try write(op.destination, size: size, address: address, value)
    }

    func movzx(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let address = try memoryAddress(op, size: Int(op.sourceSize))
        let value = try read(op.source, op, size: Int(op.sourceSize), address: address)
        try write(op.destination, size: Int(op.size), address: address, value)
    }

    func movsx(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let address = try memoryAddress(op, size: Int(op.sourceSize))
        let value = signExtend(try read(op.source, op, size: Int(op.sourceSize), address: address), size: Int(op.sourceSize))
        try write(op.destination, size: Int(op.size), address: address, value & sizeMask(Int(op.size)))
    }

    @inline(__always)
    func lea(_ pointer: UnsafePointer<Op>) {
        let op = pointer.pointee
        setRegister(op.destination, size: Int(op.size), effectiveAddress(op))
    }

    func xchg(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let address = try memoryAddress(op)
        let first = try read(op.destination, op, size: size, address: address)
        let second = try read(op.source, op, size: size, address: address)
        try write(op.destination, size: size, address: address, second)
        try write(op.source, size: size, address: address, first)
    }

    func xadd(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let address = try memoryAddress(op)
        let destination = try read(op.destination, op, size: size, address: address)
        let source = try read(op.source, op, size: size, address: address)
        let sum = (destination &+ source) & sizeMask(size)
        if op.destination == Op.memory { try store(address, size: size, sum) }
        try write(op.source, size: size, address: address, destination)
        try write(op.destination, size: size, address: address, sum)
        setLazyFlags(.add, destination, source, sum, size: size)
    }

    func cmpxchg(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let address = try memoryAddress(op)
        let destination = try read(op.destination, op, size: size, address: address)
        let accumulator = register(0, size: size)
        let difference = (accumulator &- destination) & sizeMask(size)
        if accumulator == destination {
            try write(op.destination, size: size, address: address, try read(op.source, op, size: size, address: address))
        } else {
            // The destination is written back even when the comparison fails.
            if op.destination == Op.memory { try store(address, size: size, destination) }
            setRegister(0, size: size, destination)
        }
        setLazyFlags(.sub, accumulator, destination, difference, size: size)
    }

    func cmpxchg8b(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        guard op.destination == Op.memory else { throw .invalidOpcode(bytes: []) }
        let address = try linearAddress(op, size: 8)
        let low = try load32(address)
        let high = try load32(address &+ 4)
        try probeWrite(address, size: 8)  // both pages, before either dword moves
        if low == registers[0] && high == registers[2] {
            try store32(address, registers[3])
            try store32(address &+ 4, registers[1])
            setFlags(EFLAGS.zf, mask: EFLAGS.zf)
        } else {
            try store32(address, low)
            try store32(address &+ 4, high)
            registers[0] = low
            registers[2] = high
            setFlags(0, mask: EFLAGS.zf)
        }
    }

    func bswap(_ pointer: UnsafePointer<Op>) {
        let op = pointer.pointee
        let value = registers[Int(op.destination)]
        registers[Int(op.destination)] = op.size == 4 ? value.byteSwapped : value & 0xFFFF_0000
    }

    func cbw(_ pointer: UnsafePointer<Op>) {
        let op = pointer.pointee
        if op.size == 2 {
            setRegister(0, size: 2, signExtend(registers[0], size: 1))
        } else {
            registers[0] = signExtend(registers[0], size: 2)
        }
    }

    func cwd(_ pointer: UnsafePointer<Op>) {
        let op = pointer.pointee
        if op.size == 2 {
            setRegister(2, size: 2, registers[0] & 0x8000 != 0 ? 0xFFFF : 0)
        } else {
            registers[2] = registers[0] & 0x8000_0000 != 0 ? 0xFFFF_FFFF : 0
        }
    }

    func lahf() {
        let flags = eflags & (EFLAGS.sf | EFLAGS.zf | EFLAGS.af | EFLAGS.pf | EFLAGS.cf) | EFLAGS.reserved1
        setRegister(4, size: 1, flags)
    }

    func sahf() {
        setFlags(register(4, size: 1), mask: EFLAGS.sf | EFLAGS.zf | EFLAGS.af | EFLAGS.pf | EFLAGS.cf)
    }

    func xlat(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        var offset = registers[3] &+ (registers[0] & 0xFF)
        if op.prefixes & Op.addressSize16 != 0 { offset &= 0xFFFF }
        setRegister(0, size: 1, UInt32(try load8(segments[Int(op.segment)].base &+ offset)))
    }

    func setcc(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let address = try memoryAddress(op)
        try write(op.destination, size: 1, address: address, condition(op.condition) ? 1 : 0)
    }

    func cmovcc(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let address = try memoryAddress(op)
        let value = try read(op.source, op, size: size, address: address)  // read even when false
        if condition(op.condition) { setRegister(op.destination, size: size, value) }
    }
}
