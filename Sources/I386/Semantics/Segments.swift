/// Segment register loads from the GDT/LDT, and moves to and from segment registers.
extension Machine {
    func movFromSegment(_ op: Op) throws(CPUException) {
        let selector = UInt32(segments[Int(op.extra)].selector)
        if op.destination == Op.memory {
            try memory.write16(try linearAddress(op), UInt16(selector))  // always a 16-bit store
        } else {
            // A 32-bit register destination gets the selector zero-extended.
            setRegister(op.destination, size: op.size == 2 ? 2 : 4, selector)
        }
    }

    func movToSegment(_ op: Op) throws(CPUException) {
        let address = try memoryAddress(op)
        let selector = UInt16(truncatingIfNeeded: try read(op.source, op, size: 2, address: address))
        guard op.extra != UInt8(SegmentName.cs.rawValue) else {
            throw .invalidOpcode(bytes: instructionBytes(eip, length: Int(op.length)))
        }
        try loadSegment(Int(op.extra), selector: selector)
    }

    /// Loads a data or stack segment register from its descriptor, with the
    /// SDM's checks: null selectors (allowed except for ss), table limit,
    /// descriptor type, privilege, presence.
    func loadSegment(_ number: Int, selector: UInt16) throws(CPUException) {
        let isStack = number == SegmentName.ss.rawValue
        let errorCode = UInt32(selector & 0xFFFC)
        if selector & 0xFFFC == 0 {
            if isStack { throw .generalProtection(errorCode: 0) }
            segments[number] = SegmentRegister(selector: selector, base: 0, limit: 0, attributes: 0)
            segmentBases[number] = 0
            segmentsChanged()
            return
        }
        let descriptor = try readDescriptor(selector)
        let attributes = descriptor.attributes
        let type = attributes & 0xF
        let isSystem = attributes & 0x10 == 0
        let dpl = Int((attributes >> 5) & 3)
        let rpl = Int(selector & 3)
        let isCode = type & 0x8 != 0
        if isStack {
            // ss: a writable data segment with RPL = DPL = CPL.
            guard !isSystem, !isCode, type & 0x2 != 0, rpl == cpl, dpl == cpl else {
                throw .generalProtection(errorCode: errorCode)
            }
            guard attributes & 0x80 != 0 else { throw .stackFault(errorCode: errorCode) }
        } else {
            // Data segments, or readable code; non-conforming ones need max(CPL, RPL) <= DPL.
            guard !isSystem, !isCode || type & 0x2 != 0 else { throw .generalProtection(errorCode: errorCode) }
            let conforming = isCode && type & 0x4 != 0
            if !conforming && max(cpl, rpl) > dpl { throw .generalProtection(errorCode: errorCode) }
            guard attributes & 0x80 != 0 else { throw .segmentNotPresent(errorCode: errorCode) }
        }
        try markAccessed(selector)
        segments[number] = SegmentRegister(selector: selector, base: descriptor.base,
                                           limit: descriptor.limit, attributes: attributes | 1)
        segmentBases[number] = descriptor.base
        segmentsChanged()
    }

    /// Reads the 8-byte descriptor a selector names; #GP(selector) past the table limit.
    func readDescriptor(_ selector: UInt16) throws(CPUException) -> SegmentRegister {
        let offset = UInt32(selector & 0xFFF8)
        let usesLDT = selector & 4 != 0
        let tableBase: UInt32
        let tableLimit: UInt32
        if usesLDT {
            guard ldtr & 0xFFFC != 0 else { throw .generalProtection(errorCode: UInt32(selector & 0xFFFC)) }
            let ldt = try readDescriptor(ldtr)
            tableBase = ldt.base
            tableLimit = ldt.limit
        } else {
            tableBase = gdtr.base
            tableLimit = UInt32(gdtr.limit)
        }
        guard offset &+ 7 <= tableLimit else { throw .generalProtection(errorCode: UInt32(selector & 0xFFFC)) }
        let low = try memory.read32(tableBase &+ offset)
        let high = try memory.read32(tableBase &+ offset &+ 4)
        let base = (low >> 16) | ((high & 0xFF) << 16) | (high & 0xFF00_0000)
        var limit = (low & 0xFFFF) | (high & 0x000F_0000)
        let attributes = UInt16((high >> 8) & 0xF0FF)
        if attributes & 0x8000 != 0 { limit = (limit << 12) | 0xFFF }
        return SegmentRegister(selector: selector, base: base, limit: limit, attributes: attributes)
    }

    /// Sets the accessed bit of a code/data descriptor (bit 40).
    private func markAccessed(_ selector: UInt16) throws(CPUException) {
        guard selector & 4 == 0 else { return }
        let address = gdtr.base &+ UInt32(selector & 0xFFF8) &+ 5
        let access = try memory.read8(address)
        if access & 1 == 0 { try memory.write8(address, access | 1) }
    }
}
