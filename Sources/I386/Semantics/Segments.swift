/// Segment register loads from the GDT/LDT, and moves to and from segment registers.
extension Machine {
    func movFromSegment(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let selector = UInt32(segments[Int(op.specialRegister)].selector)
        if op.destination == Op.memory {
            try store16(try linearAddress(op), UInt16(selector))  // always a 16-bit store
        } else {
            // A 32-bit register destination gets the selector zero-extended.
            setRegister(op.destination, size: op.size == 2 ? 2 : 4, selector)
        }
    }

    func movToSegment(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let address = try memoryAddress(op)
        let selector = UInt16(truncatingIfNeeded: try read(op.source, op, size: 2, address: address))
        guard op.specialRegister != UInt8(SegmentName.cs.rawValue) else {
            throw .invalidOpcode(bytes: instructionBytes(op.address, length: Int(op.length)))
        }
        try loadSegment(Int(op.specialRegister), selector: selector)
        if op.specialRegister == UInt8(SegmentName.ss.rawValue) { beginInterruptShadow() }
    }

    /// Loads a data or stack segment register from its descriptor, with the
    /// SDM's checks: null selectors (allowed except for ss), table limit,
    /// descriptor type, privilege, presence.
    func loadSegment(_ number: Int, selector: UInt16) throws(CPUException) {
        let name = SegmentName(rawValue: number) ?? .ds
        let isStack = name == .ss
        let errorCode = UInt32(selector & 0xFFFC)
        if selector & 0xFFFC == 0 {
            if isStack { throw .generalProtection(errorCode: 0) }
            setSegment(name, SegmentRegister(selector: selector, base: 0, limit: 0, attributes: 0))
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
        setSegment(name, SegmentRegister(selector: selector, base: descriptor.base,
                                         limit: descriptor.limit, attributes: attributes | 1))
    }

    /// Reads the 8-byte descriptor a selector names (a supervisor access);
    /// #GP(selector) past the table limit or for an LDT selector with no LDT.
    func readDescriptor(_ selector: UInt16) throws(CPUException) -> SegmentRegister {
        let (low, high) = try readDescriptorWords(selector)
        return SegmentRegister(descriptorLow: low, high: high, selector: selector)
    }

    /// The two words of the descriptor a selector names, as `readDescriptor`
    /// reads them: for gates, whose fields are not a segment's.
    func readDescriptorWords(_ selector: UInt16) throws(CPUException) -> (low: UInt32, high: UInt32) {
        let offset = UInt32(selector & 0xFFF8)
        let tableBase: UInt32
        let tableLimit: UInt32
        if selector & 4 != 0 {
            let ldt = state.pointee.ldtr
            guard ldt.selector & 0xFFFC != 0, ldt.attributes & 0x80 != 0 else {
                throw .generalProtection(errorCode: UInt32(selector & 0xFFFC))
            }
            tableBase = ldt.base
            tableLimit = ldt.limit
        } else {
            tableBase = gdtr.base
            tableLimit = UInt32(gdtr.limit)
        }
        guard offset &+ 7 <= tableLimit else { throw .generalProtection(errorCode: UInt32(selector & 0xFFFC)) }
        return try asSupervisor { () throws(CPUException) -> (UInt32, UInt32) in
            (try load32(tableBase &+ offset), try load32(tableBase &+ offset &+ 4))
        }
    }

    /// The linear address of the descriptor a selector names (GDT or LDT).
    func descriptorAddress(_ selector: UInt16) -> UInt32 {
        let base = selector & 4 != 0 ? state.pointee.ldtr.base : gdtr.base
        return base &+ UInt32(selector & 0xFFF8)
    }

    /// Sets the accessed bit of a code/data descriptor (bit 40).
    func markAccessed(_ selector: UInt16) throws(CPUException) {
        let address = descriptorAddress(selector) &+ 5
        try asSupervisor { () throws(CPUException) in
            let access = try load8(address)
            if access & 1 == 0 { try store8(address, access | 1) }
        }
    }
}
