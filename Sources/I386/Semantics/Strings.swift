/// movs, stos, lods, cmps, scas, ins, outs with rep/repe/repne.
///
/// A repeated instruction runs all its iterations in one step. The source
/// uses the segment override (ds by default), the destination always es.
/// 16-bit addressing (0x67) is not supported for string instructions.
extension Machine {
    @inline(__always)
    private var stringDelta: UInt32 { storedFlags & EFLAGS.df != 0 ? 0xFFFF_FFFF : 1 }

    /// Runs `body` once, or ecx times under a rep prefix; `body` returns false to stop early.
    @inline(__always)
    private func repeatString(_ op: Op, _ body: () throws(CPUException) -> Bool) throws(CPUException) {
        guard op.prefixes & Op.addressSize16 == 0 else { throw .invalidOpcode(bytes: []) }
        guard op.prefixes & (Op.repPrefix | Op.repnePrefix) != 0 else {
            _ = try body()
            return
        }
        while registers[1] != 0 {
            let goOn = try body()
            registers[1] &-= 1
            if !goOn { return }
        }
    }

    func movs(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let step = stringDelta &* UInt32(size)
        try repeatString(op) { () throws(CPUException) -> Bool in
            let value = try load(segments[Int(op.segment)].base &+ registers[6], size: size)
            try store(segments[0].base &+ registers[7], size: size, value)
            registers[6] &+= step
            registers[7] &+= step
            return true
        }
    }

    func stos(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let step = stringDelta &* UInt32(size)
        let value = register(0, size: size)
        try repeatString(op) { () throws(CPUException) -> Bool in
            try store(segments[0].base &+ registers[7], size: size, value)
            registers[7] &+= step
            return true
        }
    }

    func lods(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let step = stringDelta &* UInt32(size)
        try repeatString(op) { () throws(CPUException) -> Bool in
            setRegister(0, size: size, try load(segments[Int(op.segment)].base &+ registers[6], size: size))
            registers[6] &+= step
            return true
        }
    }

    func cmps(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let step = stringDelta &* UInt32(size)
        let whileEqual = op.prefixes & Op.repPrefix != 0
        try repeatString(op) { () throws(CPUException) -> Bool in
            let left = try load(segments[Int(op.segment)].base &+ registers[6], size: size)
            let right = try load(segments[0].base &+ registers[7], size: size)
            setLazyFlags(.sub, left, right, (left &- right) & sizeMask(size), size: size)
            registers[6] &+= step
            registers[7] &+= step
            return (left == right) == whileEqual
        }
    }

    func scas(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let step = stringDelta &* UInt32(size)
        let whileEqual = op.prefixes & Op.repPrefix != 0
        let left = register(0, size: size)
        try repeatString(op) { () throws(CPUException) -> Bool in
            let right = try load(segments[0].base &+ registers[7], size: size)
            setLazyFlags(.sub, left, right, (left &- right) & sizeMask(size), size: size)
            registers[7] &+= step
            return (left == right) == whileEqual
        }
    }

    func ins(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let step = stringDelta &* UInt32(size)
        let port = UInt16(registers[2] & 0xFFFF)
        try checkIOPermission(port: port, size: size)
        try repeatString(op) { () throws(CPUException) -> Bool in
            try store(segments[0].base &+ registers[7], size: size, readPort(port, size: size))
            registers[7] &+= step
            return true
        }
    }

    func outs(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let step = stringDelta &* UInt32(size)
        let port = UInt16(registers[2] & 0xFFFF)
        try checkIOPermission(port: port, size: size)
        try repeatString(op) { () throws(CPUException) -> Bool in
            writePort(port, size: size, try load(segments[Int(op.segment)].base &+ registers[6], size: size))
            registers[6] &+= step
            return true
        }
    }
}
