/// Handlers of the specialised 32-bit forms (`OpKind.movRR` …). They read the
/// op through a pointer so only the fields they use are loaded, and read every
/// field before writing memory (a write may invalidate the op's slot).
extension Machine {
    /// The linear address of a 32-bit (no 0x67) memory operand of `size` bytes.
    @inline(__always)
    func fastAddress(_ op: UnsafePointer<Op>, size: Int = 4) throws(CPUException) -> UInt32 {
        let offset = registers[Int(op.pointee.base)]
            &+ (registers[Int(op.pointee.index)] << UInt32(op.pointee.scaleShift)) &+ op.pointee.displacement
        if nonFlatSegments & (1 << op.pointee.segment) != 0 { try checkSegmentLimit(Int(op.pointee.segment), offset: offset, size: size) }
        return segments[Int(op.pointee.segment)].base &+ offset
    }

    /// The 32-bit result of `operation`, recording its flags; nil for cmp/test (no write-back).
    @inline(__always)
    func fastALU(_ operation: OpKind, _ left: UInt32, _ right: UInt32) -> UInt32? {
        switch operation {
        case .add:
            let result = left &+ right
            setLazyFlags(.add, left, right, result, size: 4)
            return result
        case .sub:
            let result = left &- right
            setLazyFlags(.sub, left, right, result, size: 4)
            return result
        case .cmp:
            setLazyFlags(.sub, left, right, left &- right, size: 4)
            return nil
        case .and:
            let result = left & right
            setLazyFlags(.logic, left, right, result, size: 4)
            return result
        case .or:
            let result = left | right
            setLazyFlags(.logic, left, right, result, size: 4)
            return result
        case .xor:
            let result = left ^ right
            setLazyFlags(.logic, left, right, result, size: 4)
            return result
        default:  // test
            setLazyFlags(.logic, left, right, left & right, size: 4)
            return nil
        }
    }

    @inline(__always)
    func fastALURegister(_ operation: OpKind, _ op: UnsafePointer<Op>, source: UInt32) {
        let destination = Int(op.pointee.destination)
        if let result = fastALU(operation, registers[destination], source) { registers[destination] = result }
    }

    @inline(__always)
    func fastALUMemory(_ operation: OpKind, _ op: UnsafePointer<Op>) throws(CPUException) {
        try fastALUMemory(operation, op, source: registers[Int(op.pointee.source)])
    }

    @inline(__always)
    func fastALUMemory(_ operation: OpKind, _ op: UnsafePointer<Op>, source: UInt32) throws(CPUException) {
        let address = try fastAddress(op)
        let left = try load32(address)
        if let result = fastALU(operation, left, source) { try store32(address, result) }
    }
}
