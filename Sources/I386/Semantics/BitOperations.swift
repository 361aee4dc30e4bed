/// bt, bts, btr, btc, bsf, bsr.
///
/// bt* set CF to the selected bit and leave ZF alone; OF, SF, AF and PF are
/// undefined and kstep leaves them unchanged. bsf/bsr set ZF; with a zero
/// source the destination keeps its value (what Intel and AMD parts do).
extension Machine {
    func bitTest(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let bits = UInt32(size * 8)
        let offset = op.source == Op.immediate ? op.immediate : register(op.source, size: size)
        var address: UInt32 = 0
        let bit: UInt32
        if op.destination == Op.memory {
            address = try linearAddress(op)
            if op.source == Op.immediate {
                bit = offset & (bits - 1)
            } else {
                // A register offset is signed and may reach beyond the operand.
                let signed = Int32(bitPattern: signExtend(offset, size: size))
                let chunk = signed >> Int32(size == 4 ? 5 : 4)
                address = address &+ UInt32(bitPattern: chunk &* Int32(size))
                bit = UInt32(bitPattern: signed) & (bits - 1)
            }
        } else {
            bit = offset & (bits - 1)
        }
        let value = try read(op.destination, op, size: size, address: address)
        let selected = (value >> bit) & 1
        let updated: UInt32
        switch op.kind {
        case .bts: updated = value | (1 << bit)
        case .btr: updated = value & ~(1 << bit)
        case .btc: updated = value ^ (1 << bit)
        default: updated = value
        }
        if op.kind != .bt { try write(op.destination, size: size, address: address, updated) }
        setFlags(selected, mask: EFLAGS.cf)
    }

    func bitScan(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let address = try memoryAddress(op)
        let value = try read(op.source, op, size: size, address: address)
        guard value != 0 else {
            setFlags(EFLAGS.zf, mask: EFLAGS.zf)
            return
        }
        let index = op.kind == .bsf ? UInt32(value.trailingZeroBitCount) : UInt32(31 - value.leadingZeroBitCount)
        setRegister(op.destination, size: size, index)
        setFlags(0, mask: EFLAGS.zf)
    }
}
