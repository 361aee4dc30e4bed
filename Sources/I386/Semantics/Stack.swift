/// push, pop, pusha, popa, pushf, popf, push/pop of segment registers, enter, leave.
extension Machine {
    @inline(__always)
    func push(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        // The memory operand is addressed, and `push %esp` reads esp, before the decrement.
        let address = op.source == Op.memory ? try linearAddress(op) : 0
        let value = try read(op.source, op, size: size, address: address)
        try push(value, size: size)
    }

    @inline(__always)
    func pop(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let oldESP = registers[4]
        let value = try pop(size: size)
        if op.destination == Op.memory {
            // A memory destination is addressed with the incremented esp.
            do {
                try store(try linearAddress(op), size: size, value)
            } catch {
                registers[4] = oldESP
                throw error
            }
        } else {
            setRegister(op.destination, size: size, value)
        }
    }

    func pusha(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let oldESP = registers[4]
        let values = [registers[0], registers[1], registers[2], registers[3], oldESP,
                      registers[5], registers[6], registers[7]]
        do {
            for value in values { try push(value, size: size) }
        } catch {
            registers[4] = oldESP
            throw error
        }
    }

    func popa(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let oldESP = registers[4]
        var values: [UInt32] = []
        do {
            for _ in 0..<8 { values.append(try pop(size: size)) }
        } catch {
            registers[4] = oldESP
            throw error
        }
        // Popped in order edi, esi, ebp, (esp skipped), ebx, edx, ecx, eax.
        for (slot, value) in zip([7, 6, 5, 4, 3, 2, 1, 0] as [UInt8], values) where slot != 4 {
            setRegister(slot, size: size, value)
        }
    }

    func pushf(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        // VM and RF are cleared in the pushed image.
        try push(eflags & ~(EFLAGS.vm | EFLAGS.rf), size: Int(op.size))
    }

    /// popf; returns false when it changed IF or TF, so the run loop looks at
    /// interrupts and debug traps before the next instruction.
    func popf(_ pointer: UnsafePointer<Op>) throws(CPUException) -> Bool {
        let op = pointer.pointee
        let size = Int(op.size)
        let value = try pop(size: size)
        var changeable = EFLAGS.arithmetic | EFLAGS.tf | EFLAGS.df | EFLAGS.nt | EFLAGS.ac | EFLAGS.id
        let iopl = Int((storedFlags >> 12) & 3)
        if cpl == 0 { changeable |= EFLAGS.iopl }
        if cpl <= iopl { changeable |= EFLAGS.if }
        if size == 2 { changeable &= 0xFFFF }
        // Every arithmetic flag is replaced, so pending ones need no evaluating;
        // the bits kept (IF, IOPL, VM…) are never pending.
        let current = storedFlags
        let updated = (current & ~changeable) | (value & changeable)
        // Bit 1 is always 1; bits 3, 5, 15 and 22–31 are always 0; RF is cleared.
        storedFlags = (updated & 0x003F_7FD5 & ~EFLAGS.rf) | EFLAGS.reserved1
        flagsOperation = .none
        guard (current ^ storedFlags) & (EFLAGS.if | EFLAGS.tf) == 0 else {
            refreshDebugTraps()
            blockExit = .retired
            return false
        }
        return true
    }

    func pushSegment(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let selector = UInt32(segments[Int(op.specialRegister)].selector)
        if op.size == 4 {
            // A 32-bit push of a segment register writes only the low word (as P6 and later do).
            let newESP = registers[4] &- 4
            try store16(segments[2].base &+ newESP, UInt16(selector))
            registers[4] = newESP
        } else {
            try push(selector, size: 2)
        }
    }

    func popSegment(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let oldESP = registers[4]
        let value = try pop(size: Int(op.size))
        do {
            try loadSegment(Int(op.specialRegister), selector: UInt16(truncatingIfNeeded: value))
        } catch {
            registers[4] = oldESP
            throw error
        }
        if op.specialRegister == UInt8(SegmentName.ss.rawValue) { beginInterruptShadow() }
    }

    func enter(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let oldESP = registers[4]
        let oldEBP = registers[5]
        let level = op.immediate2 % 32
        do {
            try push(register(5, size: size), size: size)
            let frame = registers[4]
            if level > 0 {
                var framePointer = oldEBP
                for _ in 1..<max(level, 1) {
                    framePointer = framePointer &- UInt32(size)
                    let linkAddress = segments[2].base &+ framePointer  // 32-bit stack: ebp, whatever the operand size
                    try push(try load(linkAddress, size: size), size: size)
                }
                try push(frame, size: size)
            }
            // The CPU write-probes the new top of stack: an unwritable frame faults here.
            let newESP = registers[4] &- op.immediate
            if op.immediate != 0 { try probeWrite(segments[2].base &+ newESP, size: size) }
            setRegister(5, size: size, frame)
            registers[4] = newESP
        } catch {
            registers[4] = oldESP
            registers[5] = oldEBP
            throw error
        }
    }

    func leave(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let size = Int(op.size)
        let oldESP = registers[4]
        registers[4] = registers[5]
        do {
            setRegister(5, size: size, try pop(size: size))
        } catch {
            registers[4] = oldESP
            throw error
        }
    }
}
