/// The x87/SSE state as an opaque area: enough for lazy-FPU code such as
/// `__unlazy_fpu` (save when used, #NM while CR0.TS is set). Arithmetic x87
/// instructions are not executed.
extension Machine {
    static let fnsaveSize = 108

    /// #NM when CR0.TS (or, for x87 instructions, CR0.EM) is set. `wait` faults only with TS and MP.
    private func checkFPUAvailable(isWait: Bool) throws(CPUException) {
        let ts = cr0 & 0x8 != 0
        let em = cr0 & 0x4 != 0
        let mp = cr0 & 0x2 != 0
        if isWait {
            if ts && mp { throw .deviceNotAvailable }
        } else if ts || em {
            throw .deviceNotAvailable
        }
    }

    /// fninit's state: control word 0x37f, tag word empty, everything else zero.
    private func resetFPU() {
        fpuState = [UInt8](repeating: 0, count: 512)
        fpuState[0] = 0x7F
        fpuState[1] = 0x03
        fpuState[24] = 0x80  // MXCSR 0x1f80
        fpuState[25] = 0x1F
    }

    /// `extra` selects: 0 fninit/fnclex, 1 fnsave, 2 frstor, 3 fxsave, 4 fxrstor, 5 wait, 6 fnstsw/fnstcw, 7 fldcw.
    func fpuOperation(_ op: Op) throws(CPUException) {
        try checkFPUAvailable(isWait: op.extra == 5)
        switch op.extra {
        case 0:
            resetFPU()
        case 1:
            let address = try linearAddress(op, size: Self.fnsaveSize)
            for offset in 0..<Self.fnsaveSize {
                try memory.write8(address &+ UInt32(offset), fpuState[offset])
            }
            resetFPU()
        case 2:
            let address = try linearAddress(op, size: Self.fnsaveSize)
            for offset in 0..<Self.fnsaveSize { fpuState[offset] = try memory.read8(address &+ UInt32(offset)) }
        case 3, 4:
            let address = try linearAddress(op, size: 512)
            guard address & 15 == 0 else { throw .generalProtection(errorCode: 0) }
            if op.extra == 3 {
                for offset in 0..<512 { try memory.write8(address &+ UInt32(offset), fpuState[offset]) }
            } else {
                for offset in 0..<512 { fpuState[offset] = try memory.read8(address &+ UInt32(offset)) }
            }
        case 6:
            let value = UInt32(fpuState[0]) | UInt32(fpuState[1]) << 8
            try write(op.destination, size: 2, address: try memoryAddress(op, size: 2), op.immediate == 1 ? value : 0)
        case 7:
            let value = try read(op.source, op, size: 2, address: try memoryAddress(op, size: 2))
            fpuState[0] = UInt8(value & 0xFF)
            fpuState[1] = UInt8(value >> 8)
        default:
            break
        }
    }
}
