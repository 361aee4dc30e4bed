/// and, or, xor, test, not.
extension Machine {
    @inline(__always)
    func logic(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let address = try memoryAddress(op)
        let left = try read(op.destination, op, size: size, address: address)
        let right = try read(op.source, op, size: size, address: address)
        let result: UInt32 = switch op.kind {
        case .and: left & right
        case .or: left | right
        default: left ^ right
        }
        try write(op.destination, size: size, address: address, result)
        setLazyFlags(.logic, left, right, result, size: size)
    }

    @inline(__always)
    func test(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let address = try memoryAddress(op)
        let left = try read(op.destination, op, size: size, address: address)
        let right = try read(op.source, op, size: size, address: address)
        setLazyFlags(.logic, left, right, left & right, size: size)
    }

    func not(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let address = try memoryAddress(op)
        let value = try read(op.destination, op, size: size, address: address)
        try write(op.destination, size: size, address: address, ~value & sizeMask(size))
    }
}
