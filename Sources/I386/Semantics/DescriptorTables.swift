/// lgdt/sgdt, lidt/sidt, lldt/sldt, ltr/str, far-pointer loads, bound,
/// and the descriptor queries verr/verw/lar/lsl/arpl.
extension Machine {
    func loadTableRegister(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        try requirePrivilege()
        let address = try linearAddress(op, size: 6)
        let limit = try load16(address)
        var base = try load32(address &+ 2)
        if op.size == 2 { base &= 0x00FF_FFFF }  // a 16-bit operand loads 24 bits of base
        let table = TableRegister(base: base, limit: limit)
        if op.kind == .lgdt { gdtr = table } else { idtr = table }
    }

    func storeTableRegister(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let address = try linearAddress(op, size: 6)
        let table = op.kind == .sgdt ? gdtr : idtr
        try store16(address, table.limit)
        try store32(address &+ 2, table.base)
    }

    /// sldt/str: a register destination gets the selector zero-extended.
    func storeSystemSelector(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let selector = UInt32(op.kind == .sldt ? state.pointee.ldtr.selector : state.pointee.taskRegister.selector)
        if op.destination == Op.memory {
            try store16(try linearAddress(op, size: 2), UInt16(selector))
        } else {
            setRegister(op.destination, size: op.size == 2 ? 2 : 4, selector)
        }
    }

    func lldt(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        try requirePrivilege()
        let selector = UInt16(truncatingIfNeeded: try read(op.source, op, size: 2, address: try memoryAddress(op, size: 2)))
        guard selector & 0xFFFC != 0 else {
            state.pointee.ldtr = SegmentRegister(selector: selector, base: 0, limit: 0, attributes: 0)
            return
        }
        guard selector & 4 == 0 else { throw .generalProtection(errorCode: UInt32(selector & 0xFFFC)) }
        let descriptor = try readDescriptor(selector)
        guard descriptor.attributes & 0x1F == 0x02 else { throw .generalProtection(errorCode: UInt32(selector & 0xFFFC)) }
        guard descriptor.attributes & 0x80 != 0 else { throw .segmentNotPresent(errorCode: UInt32(selector & 0xFFFC)) }
        state.pointee.ldtr = descriptor
    }

    func ltr(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        try requirePrivilege()
        let selector = UInt16(truncatingIfNeeded: try read(op.source, op, size: 2, address: try memoryAddress(op, size: 2)))
        guard selector & 0xFFFC != 0, selector & 4 == 0 else {
            throw .generalProtection(errorCode: UInt32(selector & 0xFFFC))
        }
        let descriptor = try readDescriptor(selector)
        guard descriptor.attributes & 0x80 != 0 else { throw .segmentNotPresent(errorCode: UInt32(selector & 0xFFFC)) }
        try loadTaskRegister(selector: selector)
    }

    /// lds/les/lfs/lgs/lss: offset then selector from memory; `specialRegister` names the segment.
    func loadFarPointer(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let address = try linearAddress(op, size: size + 2)
        let offset = try load(address, size: size)
        let selector = try load16(address &+ UInt32(size))
        try loadSegment(Int(op.specialRegister), selector: selector)
        setRegister(op.destination, size: size, offset)
    }

    func bound(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let address = try linearAddress(op, size: size * 2)
        let index = Int32(bitPattern: signExtend(register(op.destination, size: size), size: size))
        let lower = Int32(bitPattern: signExtend(try load(address, size: size), size: size))
        let upper = Int32(bitPattern: signExtend(try load(address &+ UInt32(size), size: size), size: size))
        if index < lower || index > upper { throw .boundRangeExceeded }
    }

    /// The descriptor a selector names if it is visible at the current CPL/RPL, else nil.
    private func visibleDescriptor(_ selector: UInt16) -> SegmentRegister? {
        guard selector & 0xFFFC != 0, let descriptor = try? readDescriptor(selector) else { return nil }
        let type = descriptor.attributes & 0x1F
        let isConformingCode = type & 0x1C == 0x1C
        let dpl = Int((descriptor.attributes >> 5) & 3)
        if !isConformingCode && (dpl < cpl || dpl < Int(selector & 3)) { return nil }
        return descriptor
    }

    private func selectorOperand(_ op: Op) throws(CPUException) -> UInt16 {
        UInt16(truncatingIfNeeded: try read(op.source, op, size: 2, address: try memoryAddress(op, size: 2)))
    }

    /// verr/verw: ZF = the segment is readable/writable at the current privilege.
    func verify(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let selector = try selectorOperand(op)
        var accessible = false
        if let descriptor = visibleDescriptor(selector), descriptor.attributes & 0x10 != 0 {
            let type = descriptor.attributes & 0xF
            let isCode = type & 0x8 != 0
            accessible = op.kind == .verr ? (!isCode || type & 0x2 != 0) : (!isCode && type & 0x2 != 0)
        }
        setFlags(accessible ? EFLAGS.zf : 0, mask: EFLAGS.zf)
    }

    /// lar/lsl: the access rights or the limit of a visible descriptor; ZF says whether it was.
    func loadDescriptorField(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let selector = try selectorOperand(op)
        guard let descriptor = visibleDescriptor(selector) else {
            setFlags(0, mask: EFLAGS.zf)
            return
        }
        let type = descriptor.attributes & 0x1F
        let systemTypesForLAR: Set<UInt16> = [0x01, 0x02, 0x03, 0x04, 0x05, 0x09, 0x0B, 0x0C]
        let systemTypesForLSL: Set<UInt16> = [0x01, 0x02, 0x03, 0x09, 0x0B]
        if type & 0x10 == 0 && !(op.kind == .lar ? systemTypesForLAR : systemTypesForLSL).contains(type) {
            setFlags(0, mask: EFLAGS.zf)
            return
        }
        // lar: bits 8–23 of the descriptor's second word (with limit 19:16, as CPUs return them).
        let rawLimit = descriptor.attributes & 0x8000 != 0 ? descriptor.limit >> 12 : descriptor.limit
        let accessRights = UInt32(descriptor.attributes) << 8 & 0x00F0_FF00 | (rawLimit & 0x000F_0000)
        let value = op.kind == .lar ? accessRights : descriptor.limit
        setRegister(op.destination, size: Int(op.size), value)
        setFlags(EFLAGS.zf, mask: EFLAGS.zf)
    }

    /// arpl r/m16, r16: raise the destination selector's RPL to the source's.
    func arpl(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let address = try memoryAddress(op, size: 2)
        let destination = try read(op.destination, op, size: 2, address: address)
        let source = register(op.source, size: 2)
        if destination & 3 < source & 3 {
            try write(op.destination, size: 2, address: address, (destination & ~3) | (source & 3))
            setFlags(EFLAGS.zf, mask: EFLAGS.zf)
        } else {
            setFlags(0, mask: EFLAGS.zf)
        }
    }
}
