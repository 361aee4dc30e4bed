/// movs, stos, lods, cmps, scas, ins, outs with rep/repe/repne.
///
/// The source uses the segment override (ds by default), the destination
/// always es. 16-bit addressing (0x67) is not supported for string
/// instructions.
///
/// A repeated instruction is one instruction (it retires once), but each
/// iteration is a tick of device time, as on a CPU the work takes time: the
/// iterations beyond the first go to `ticksBeyondInstructions`. When a device
/// event falls due before ecx reaches zero, the instruction stops between
/// iterations without retiring (ecx, esi, edi say how far it got); the run
/// loop handles the event — an interrupt is delivered with the rep
/// instruction as its return address — and the instruction then resumes.
extension Machine {
    @inline(__always)
    private var stringDelta: UInt32 { storedFlags & EFLAGS.df != 0 ? 0xFFFF_FFFF : 1 }

    /// Runs `body` once, or ecx times under a rep prefix; `body` returns false
    /// to end the repetition. Returns false when the instruction stopped
    /// between iterations for an event (it did not retire).
    @inline(__always)
    private func repeatString(_ op: Op, _ body: () throws(CPUException) -> Bool) throws(CPUException) -> Bool {
        guard op.prefixes & Op.addressSize16 == 0 else { throw .invalidOpcode(bytes: instructionBytes(op.address, length: Int(op.length))) }
        guard op.prefixes & (Op.repPrefix | Op.repnePrefix) != 0 else {
            _ = try body()
            return true
        }
        // Ticks until the devices need the CPU (the count is exact: rep strings run as blocks of their own).
        let count = state.pointee.instructionCount
        let room = deviceLimit == .max ? UInt64.max : (deviceLimit > count ? deviceLimit - count : 1)
        var iterations: UInt64 = 0
        while registers[1] != 0 {
            if iterations == room
                || (iterations & 0xFFF == 0xFFF && state.pointee.pendingEvents.external != 0) {
                state.pointee.ticksBeyondInstructions &+= iterations
                deviceWasReached()  // the iterations moved the deadline closer in instruction units
                blockExit = .notRetired
                return false
            }
            let goOn: Bool
            do {
                goOn = try body()
            } catch {
                // A fault between iterations: the ones done took their time.
                state.pointee.ticksBeyondInstructions &+= iterations
                throw error
            }
            registers[1] &-= 1
            iterations &+= 1
            if !goOn { break }
        }
        if iterations > 1 {
            state.pointee.ticksBeyondInstructions &+= iterations - 1
            deviceWasReached()
        }
        return true
    }

    func movs(_ pointer: UnsafePointer<Op>) throws(CPUException) -> Bool {
        let op = pointer.pointee
        let size = Int(op.size)
        let step = stringDelta &* UInt32(size)
        return try repeatString(op) { () throws(CPUException) -> Bool in
            let value = try load(segments[Int(op.segment)].base &+ registers[6], size: size)
            try store(segments[0].base &+ registers[7], size: size, value)
            registers[6] &+= step
            registers[7] &+= step
            return true
        }
    }

    func stos(_ pointer: UnsafePointer<Op>) throws(CPUException) -> Bool {
        let op = pointer.pointee
        let size = Int(op.size)
        let step = stringDelta &* UInt32(size)
        let value = register(0, size: size)
        return try repeatString(op) { () throws(CPUException) -> Bool in
            try store(segments[0].base &+ registers[7], size: size, value)
            registers[7] &+= step
            return true
        }
    }

    func lods(_ pointer: UnsafePointer<Op>) throws(CPUException) -> Bool {
        let op = pointer.pointee
        let size = Int(op.size)
        let step = stringDelta &* UInt32(size)
        return try repeatString(op) { () throws(CPUException) -> Bool in
            setRegister(0, size: size, try load(segments[Int(op.segment)].base &+ registers[6], size: size))
            registers[6] &+= step
            return true
        }
    }

    func cmps(_ pointer: UnsafePointer<Op>) throws(CPUException) -> Bool {
        let op = pointer.pointee
        let size = Int(op.size)
        let step = stringDelta &* UInt32(size)
        let whileEqual = op.prefixes & Op.repPrefix != 0
        return try repeatString(op) { () throws(CPUException) -> Bool in
            let left = try load(segments[Int(op.segment)].base &+ registers[6], size: size)
            let right = try load(segments[0].base &+ registers[7], size: size)
            setLazyFlags(.sub, left, right, (left &- right) & sizeMask(size), size: size)
            registers[6] &+= step
            registers[7] &+= step
            return (left == right) == whileEqual
        }
    }

    func scas(_ pointer: UnsafePointer<Op>) throws(CPUException) -> Bool {
        let op = pointer.pointee
        let size = Int(op.size)
        let step = stringDelta &* UInt32(size)
        let whileEqual = op.prefixes & Op.repPrefix != 0
        let left = register(0, size: size)
        return try repeatString(op) { () throws(CPUException) -> Bool in
            let right = try load(segments[0].base &+ registers[7], size: size)
            setLazyFlags(.sub, left, right, (left &- right) & sizeMask(size), size: size)
            registers[7] &+= step
            return (left == right) == whileEqual
        }
    }

    func ins(_ pointer: UnsafePointer<Op>) throws(CPUException) -> Bool {
        let op = pointer.pointee
        let size = Int(op.size)
        let step = stringDelta &* UInt32(size)
        let port = UInt16(registers[2] & 0xFFFF)
        try checkIOPermission(port: port, size: size)
        return try repeatString(op) { () throws(CPUException) -> Bool in
            try store(segments[0].base &+ registers[7], size: size, readPort(port, size: size))
            registers[7] &+= step
            return true
        }
    }

    func outs(_ pointer: UnsafePointer<Op>) throws(CPUException) -> Bool {
        let op = pointer.pointee
        let size = Int(op.size)
        let step = stringDelta &* UInt32(size)
        let port = UInt16(registers[2] & 0xFFFF)
        try checkIOPermission(port: port, size: size)
        return try repeatString(op) { () throws(CPUException) -> Bool in
            writePort(port, size: size, try load(segments[Int(op.segment)].base &+ registers[6], size: size))
            registers[6] &+= step
            return true
        }
    }
}
