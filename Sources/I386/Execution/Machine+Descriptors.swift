/// Public access to descriptor-table state, for loaders that set up an environment.
extension Machine {
    /// Loads a data or stack segment register from the GDT/LDT with the SDM's checks.
    public func loadSegmentRegister(_ name: SegmentName, selector: UInt16) throws(CPUException) {
        if name == .cs {
            // No far transfer here: take the code descriptor as it is.
            let descriptor = try readDescriptor(selector)
            setSegment(.cs, descriptor)
            return
        }
        try loadSegment(name.rawValue, selector: selector)
    }

    /// Loads the task register from a TSS descriptor in the GDT (what `ltr` does, marking it busy).
    public func loadTaskRegister(selector: UInt16) throws(CPUException) {
        let descriptor = try readDescriptor(selector)
        let type = descriptor.attributes & 0x1F
        guard type == 0x09 || type == 0x01 else { throw .generalProtection(errorCode: UInt32(selector & 0xFFFC)) }
        let typeAddress = gdtr.base &+ UInt32(selector & 0xFFF8) &+ 5
        try asSupervisor { () throws(CPUException) in try store8(typeAddress, try load8(typeAddress) | 0x02) }  // busy
        var busy = descriptor
        busy.attributes |= 0x02
        state.pointee.taskRegister = busy
        systemGeneration.pointee &+= 1
    }
}
