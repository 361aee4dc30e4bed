/// Far jmp/call/ret and iret between code segments, including returns to an
/// outer privilege level; a far jmp/call to a TSS or task gate and iret
/// with NT set switch tasks (`TaskSwitch.swift`). Call gates are not
/// modelled: they raise #GP naming the selector.
extension Machine {
    /// The descriptor a far jmp/call selector names (#GP(0) for a null selector).
    private func farTransferTarget(_ selector: UInt16) throws(CPUException) -> SegmentRegister {
        guard selector & 0xFFFC != 0 else { throw .generalProtection(errorCode: 0) }
        return try readDescriptor(selector)
    }

    /// Checks a code-segment descriptor for a far jmp/call.
    private func checkCodeSegmentForTransfer(_ selector: UInt16, _ descriptor: SegmentRegister) throws(CPUException) {
        let error = UInt32(selector & 0xFFFC)
        let type = descriptor.attributes & 0x1F
        guard type & 0x18 == 0x18 else { throw .generalProtection(errorCode: error) }  // a data segment
        let dpl = Int((descriptor.attributes >> 5) & 3)
        let rpl = Int(selector & 3)
        if type & 0x04 != 0 {
            guard dpl <= cpl else { throw .generalProtection(errorCode: error) }
        } else {
            guard rpl <= cpl, dpl == cpl else { throw .generalProtection(errorCode: error) }
        }
        guard descriptor.attributes & 0x80 != 0 else { throw .segmentNotPresent(errorCode: error) }
    }

    private func enterCodeSegment(_ descriptor: SegmentRegister, selector: UInt16, level: Int, offset: UInt32) throws(CPUException) {
        guard offset <= descriptor.limit else { throw .generalProtection(errorCode: 0) }
        var code = descriptor
        code.selector = (selector & 0xFFFC) | UInt16(level)
        setSegment(.cs, code)
        nextEIP = offset
    }

    /// The far pointer of a direct (`ljmp $sel,$off`) or indirect (`ljmp *mem`) form.
    private func farPointer(_ op: Op) throws(CPUException) -> (selector: UInt16, offset: UInt32) {
        if op.source == Op.memory {
            let size = Int(op.size)
            let address = try linearAddress(op, size: size + 2)
            return (try load16(address &+ UInt32(size)), try load(address, size: size))
        }
        return (UInt16(truncatingIfNeeded: op.immediate2), op.immediate)
    }

    func jmpFar(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let (selector, offset) = try farPointer(op)
        let descriptor = try farTransferTarget(selector)
        guard descriptor.attributes & 0x10 != 0 else {
            try farTransferToTask(selector, descriptor, source: .jump)
            return
        }
        try checkCodeSegmentForTransfer(selector, descriptor)
        try enterCodeSegment(descriptor, selector: selector, level: cpl, offset: offset)
    }

    func callFar(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let (selector, offset) = try farPointer(op)
        let descriptor = try farTransferTarget(selector)
        guard descriptor.attributes & 0x10 != 0 else {
            try farTransferToTask(selector, descriptor, source: .call)
            return
        }
        try checkCodeSegmentForTransfer(selector, descriptor)
        let size = Int(op.size)
        let oldESP = registers[4]
        do {
            try push(UInt32(segments[SegmentName.cs.rawValue].selector), size: size)
            try push(nextEIP, size: size)
        } catch {
            registers[4] = oldESP
            throw error
        }
        try enterCodeSegment(descriptor, selector: selector, level: cpl, offset: offset)
    }

    /// Checks the code selector popped by lret/iret (same or outer level).
    private func codeSegmentForReturn(_ selector: UInt16) throws(CPUException) -> SegmentRegister {
        let error = UInt32(selector & 0xFFFC)
        guard selector & 0xFFFC != 0 else { throw .generalProtection(errorCode: 0) }
        let rpl = Int(selector & 3)
        guard rpl >= cpl else { throw .generalProtection(errorCode: error) }
        let descriptor = try readDescriptor(selector)
        let type = descriptor.attributes & 0x1F
        guard type & 0x18 == 0x18 else { throw .generalProtection(errorCode: error) }
        let dpl = Int((descriptor.attributes >> 5) & 3)
        if type & 0x04 != 0 {
            guard dpl <= rpl else { throw .generalProtection(errorCode: error) }
        } else {
            guard dpl == rpl else { throw .generalProtection(errorCode: error) }
        }
        guard descriptor.attributes & 0x80 != 0 else { throw .segmentNotPresent(errorCode: error) }
        return descriptor
    }

    /// After a return to an outer level: data segments more privileged than
    /// the new CPL are nulled.
    private func nullInaccessibleDataSegments() {
        for name in [SegmentName.es, .ds, .fs, .gs] {
            let segment = segments[name.rawValue]
            let type = segment.attributes & 0x1F
            let isDataOrNonConformingCode = type & 0x18 == 0x10 || type & 0x1C == 0x18
            if segment.attributes & 0x80 != 0, isDataOrNonConformingCode, Int((segment.attributes >> 5) & 3) < cpl {
                setSegment(name, SegmentRegister(selector: 0, base: 0, limit: 0, attributes: 0))
            }
        }
    }

    func retFar(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let oldESP = registers[4]
        let savedSegments = savedSegmentRegisters()
        do {
            let offset = try pop(size: size)
            let selector = UInt16(truncatingIfNeeded: try pop(size: size))
            let descriptor = try codeSegmentForReturn(selector)
            let level = Int(selector & 3)
            if level > cpl {
                registers[4] = registers[4] &+ op.immediate
                let newESP = try pop(size: size)
                let stackSelector = UInt16(truncatingIfNeeded: try pop(size: size))
                try loadOuterStack(stackSelector, level: level)
                try enterCodeSegment(descriptor, selector: selector, level: level, offset: offset)
                registers[4] = newESP &+ op.immediate
                nullInaccessibleDataSegments()
            } else {
                try enterCodeSegment(descriptor, selector: selector, level: level, offset: offset)
                registers[4] = registers[4] &+ op.immediate
            }
        } catch {
            registers[4] = oldESP
            restoreSegmentRegisters(savedSegments)
            throw error
        }
    }

    func iret(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        guard storedFlags & EFLAGS.nt == 0 else {
            try returnFromNestedTask()  // back to the task in the link field
            return
        }
        let oldESP = registers[4]
        let savedSegments = savedSegmentRegisters()
        let oldCPL = cpl
        do {
            let offset = try pop(size: size)
            let selector = UInt16(truncatingIfNeeded: try pop(size: size))
            let poppedFlags = try pop(size: size)
            let descriptor = try codeSegmentForReturn(selector)
            let level = Int(selector & 3)
            var newESP: UInt32?
            var stackSelector: UInt16 = 0
            if level > oldCPL {
                newESP = try pop(size: size)
                stackSelector = UInt16(truncatingIfNeeded: try pop(size: size))
            }
            // EFLAGS with the old CPL's rights: IOPL only at CPL 0, IF only when CPL <= IOPL.
            var changeable = EFLAGS.arithmetic | EFLAGS.tf | EFLAGS.df | EFLAGS.nt | EFLAGS.rf | EFLAGS.ac | EFLAGS.id
            let iopl = Int((storedFlags >> 12) & 3)
            if oldCPL == 0 { changeable |= EFLAGS.iopl }
            if oldCPL <= iopl { changeable |= EFLAGS.if }
            if size == 2 { changeable &= 0xFFFF }
            if let newESP {
                try loadOuterStack(stackSelector, level: level)
                try enterCodeSegment(descriptor, selector: selector, level: level, offset: offset)
                registers[4] = newESP
                nullInaccessibleDataSegments()
            } else {
                try enterCodeSegment(descriptor, selector: selector, level: level, offset: offset)
            }
            eflags = (eflags & ~changeable) | (poppedFlags & changeable)
        } catch {
            registers[4] = oldESP
            restoreSegmentRegisters(savedSegments)
            throw error
        }
    }

    /// Loads ss for a return to `level`: RPL = DPL = level, writable data, present.
    private func loadOuterStack(_ selector: UInt16, level: Int) throws(CPUException) {
        let error = UInt32(selector & 0xFFFC)
        guard selector & 0xFFFC != 0, Int(selector & 3) == level else { throw .generalProtection(errorCode: error) }
        let descriptor = try readDescriptor(selector)
        guard descriptor.attributes & 0x1A == 0x12, Int((descriptor.attributes >> 5) & 3) == level else {
            throw .generalProtection(errorCode: error)
        }
        guard descriptor.attributes & 0x80 != 0 else { throw .stackFault(errorCode: error) }
        var stack = descriptor
        stack.selector = selector
        setSegment(.ss, stack)
    }


}
