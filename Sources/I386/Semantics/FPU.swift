/// The x87/SSE state as an opaque area: enough for lazy-FPU code such as
/// `__unlazy_fpu` (save when used, #NM while CR0.TS is set). Arithmetic x87
/// instructions are not executed.
extension Machine {
    static let fnsaveSize = 108

    /// #NM when CR0.TS (or, for x87 instructions, CR0.EM) is set. `wait` faults only with TS and MP.
    private func checkFPUAvailable(isWait: Bool) throws(CPUException) {
        let cr0 = state.pointee.cr0
        let ts = cr0 & CR0.ts != 0
        let em = cr0 & CR0.em != 0
        let mp = cr0 & CR0.mp != 0
        if isWait {
            if ts && mp { throw .deviceNotAvailable }
        } else if ts || em {
            throw .deviceNotAvailable
        }
    }

    /// fninit's state: control word 0x37f, tag word empty, everything else zero.
    private func resetFPU() {
        var fpuState = [UInt8](repeating: 0, count: 512)
        fpuState[0] = 0x7F
        fpuState[1] = 0x03
        fpuState[24] = 0x80  // MXCSR 0x1f80
        fpuState[25] = 0x1F
        state.pointee.fpuArea = fpuState
    }

    /// fninit/fnclex, fnsave, frstor, fxsave, fxrstor, wait, fnstsw, fnstcw, fldcw.
    func fpuOperation(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        try checkFPUAvailable(isWait: op.kind == .wait)
        switch op.kind {
        case .fninit:
            resetFPU()
        case .fnsave:
            let address = try linearAddress(op, size: Self.fnsaveSize)
            let area = state.pointee.fpuArea
            for offset in 0..<Self.fnsaveSize { try store8(address &+ UInt32(offset), area[offset]) }
            resetFPU()
        case .frstor:
            let address = try linearAddress(op, size: Self.fnsaveSize)
            var area = state.pointee.fpuArea
            for offset in 0..<Self.fnsaveSize { area[offset] = try load8(address &+ UInt32(offset)) }
            state.pointee.fpuArea = area
        case .fxsave, .fxrstor:
            let address = try linearAddress(op, size: 512)
            guard address & 15 == 0 else { throw .generalProtection(errorCode: 0) }
            if op.kind == .fxsave {
                let area = state.pointee.fpuArea
                for offset in 0..<512 { try store8(address &+ UInt32(offset), area[offset]) }
            } else {
                var area = state.pointee.fpuArea
                for offset in 0..<512 { area[offset] = try load8(address &+ UInt32(offset)) }
                state.pointee.fpuArea = area
            }
        case .fnstsw, .fnstcw:
            let area = state.pointee.fpuArea
            let value = UInt32(area[0]) | UInt32(area[1]) << 8
            try write(op.destination, size: 2, address: try memoryAddress(op, size: 2), op.kind == .fnstcw ? value : 0)
        case .fldcw:
            let value = try read(op.source, op, size: 2, address: try memoryAddress(op, size: 2))
            state.pointee.fpuArea[0] = UInt8(value & 0xFF)
            state.pointee.fpuArea[1] = UInt8(value >> 8)
        default:
            break
        }
    }
}
