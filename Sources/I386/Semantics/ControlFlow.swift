/// Indirect jumps, calls, returns and the loop family (jmp and jcc are inline in the dispatch).
extension Machine {
    func jmpIndirect(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let address = op.source == Op.memory ? try linearAddress(op) : 0
        nextEIP = try read(op.source, op, size: size, address: address)
    }

    @inline(__always)
    func call(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        try push(nextEIP, size: Int(op.size))
        nextEIP = op.immediate
    }

    func callIndirect(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let address = op.source == Op.memory ? try linearAddress(op) : 0
        let target = try read(op.source, op, size: size, address: address)  // read before the push
        try push(nextEIP, size: size)
        nextEIP = target
    }

    @inline(__always)
    func ret(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let target = try pop(size: Int(op.size))
        registers[4] = registers[4] &+ op.immediate
        nextEIP = target
    }

    /// loop, loope, loopne, jecxz (cx instead of ecx with an address-size prefix).
    func loop(_ pointer: UnsafePointer<Op>) {
        let op = pointer.pointee
        let wide = op.prefixes & Op.addressSize16 == 0
        if op.kind == .jecxz {
            let count = wide ? registers[1] : registers[1] & 0xFFFF
            if count == 0 { nextEIP = op.immediate }
            return
        }
        let count: UInt32
        if wide {
            registers[1] = registers[1] &- 1
            count = registers[1]
        } else {
            count = (registers[1] &- 1) & 0xFFFF
            setRegister(1, size: 2, count)
        }
        let taken = switch op.kind {
        case .loope: count != 0 && zeroFlag
        case .loopne: count != 0 && !zeroFlag
        default: count != 0
        }
        if taken { nextEIP = op.immediate }
    }
}
