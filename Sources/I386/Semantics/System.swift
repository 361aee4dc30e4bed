/// Privileged and identification instructions: cli/sti, cpuid, rdtsc, port
/// I/O, control and debug registers.
extension Machine {
    /// #GP(0) unless running at CPL 0.
    @inline(__always)
    func requirePrivilege() throws(CPUException) {
        if cpl != 0 { throw .generalProtection(errorCode: 0) }
    }

    private var iopl: Int { Int((storedFlags >> 12) & 3) }

    func cli() throws(CPUException) {
        if cpl > iopl { throw .generalProtection(errorCode: 0) }
        storedFlags &= ~EFLAGS.if
    }

    func sti() throws(CPUException) {
        if cpl > iopl { throw .generalProtection(errorCode: 0) }
        if storedFlags & EFLAGS.if == 0 { beginInterruptShadow() }
        storedFlags |= EFLAGS.if
    }

    /// kstep's fixed identity: vendor "kstepVirtual", family 6 model 3 stepping 3
    /// (a P6-class i686), features DE, TSC, MSR, CX8, SEP and CMOV; leaves above 1 read as zero.
    func cpuid() {
        switch registers[0] {
        case 0:
            registers[0] = 1
            registers[3] = 0x6574_736B  // "kste" (ebx)
            registers[2] = 0x7269_5670  // "pVir" (edx)
            registers[1] = 0x6C61_7574  // "tual" (ecx)
        case 1:
            registers[0] = 0x0000_0633
            registers[3] = 0
            registers[1] = 0
            registers[2] = (1 << 2) | (1 << 4) | (1 << 5) | (1 << 8) | (1 << 11) | (1 << 15)
        default:
            registers[0] = 0
            registers[1] = 0
            registers[2] = 0
            registers[3] = 0
        }
    }

    /// The time-stamp counter is the device time in ticks (one per
    /// instruction, per extra `rep` iteration, per tick halted): runs are deterministic.
    func rdtsc() {
        let time = state.pointee.time
        registers[0] = UInt32(truncatingIfNeeded: time)
        registers[2] = UInt32(truncatingIfNeeded: time >> 32)
    }

    // MARK: Port I/O

    /// In and out are allowed when CPL <= IOPL; otherwise every port's bit in
    /// the TSS I/O permission bitmap must be clear and inside the TSS limit (#GP(0)).
    func checkIOPermission(port: UInt16, size: Int) throws(CPUException) {
        guard cpl > iopl else { return }
        let task = state.pointee.taskRegister
        guard task.attributes & 0x80 != 0, task.attributes & 0x0D == 0x09, task.limit >= 103 else {
            throw .generalProtection(errorCode: 0)
        }
        let bits = try asSupervisor { () throws(CPUException) -> UInt32? in
            let mapBase = UInt32(try load16(task.base &+ 102))
            let first = mapBase + UInt32(port) / 8
            let last = mapBase + (UInt32(port) + UInt32(size) - 1) / 8
            guard last <= task.limit else { return nil }
            var bits = UInt32(try load8(task.base &+ first))
            if last != first { bits |= UInt32(try load8(task.base &+ last)) << 8 }
            return bits
        }
        guard let bits else { throw .generalProtection(errorCode: 0) }
        let mask = ((UInt32(1) << UInt32(size)) - 1) << (UInt32(port) & 7)
        if bits & mask != 0 { throw .generalProtection(errorCode: 0) }
    }

    // MARK: MSRs and fast system calls

    func rdmsr() throws(CPUException) {
        try requirePrivilege()
        let value: UInt64 = switch registers[1] {
        case 0x10: state.pointee.time
        case 0x174: UInt64(state.pointee.sysenterCS)
        case 0x175: UInt64(state.pointee.sysenterESP)
        case 0x176: UInt64(state.pointee.sysenterEIP)
        default: throw .generalProtection(errorCode: 0)
        }
        registers[0] = UInt32(truncatingIfNeeded: value)
        registers[2] = UInt32(truncatingIfNeeded: value >> 32)
    }

    func wrmsr() throws(CPUException) {
        try requirePrivilege()
        switch registers[1] {
        case 0x174: state.pointee.sysenterCS = registers[0]
        case 0x175: state.pointee.sysenterESP = registers[0]
        case 0x176: state.pointee.sysenterEIP = registers[0]
        default: throw .generalProtection(errorCode: 0)
        }
    }

    /// A flat 4 GB segment for sysenter/sysexit, which load fixed descriptors.
    private func flatSegment(_ selector: UInt16, isCode: Bool, level: UInt16) -> SegmentRegister {
        SegmentRegister(selector: selector, base: 0, limit: 0xFFFF_FFFF,
                        attributes: (isCode ? 0xC09B : 0xC093) | (level << 5))
    }

    func sysenter() throws(CPUException) {
        let selector = UInt16(truncatingIfNeeded: state.pointee.sysenterCS) & 0xFFFC
        guard selector != 0 else { throw .generalProtection(errorCode: 0) }
        eflags = eflags & ~(EFLAGS.vm | EFLAGS.if | EFLAGS.rf)
        setSegment(.cs, flatSegment(selector, isCode: true, level: 0))
        setSegment(.ss, flatSegment(selector &+ 8, isCode: false, level: 0))
        registers[4] = state.pointee.sysenterESP
        nextEIP = state.pointee.sysenterEIP
    }

    func sysexit() throws(CPUException) {
        let selector = UInt16(truncatingIfNeeded: state.pointee.sysenterCS) & 0xFFFC
        guard cpl == 0, selector != 0 else { throw .generalProtection(errorCode: 0) }
        setSegment(.cs, flatSegment((selector &+ 16) | 3, isCode: true, level: 3))
        setSegment(.ss, flatSegment((selector &+ 24) | 3, isCode: false, level: 3))
        registers[4] = registers[1]
        nextEIP = registers[2]
    }

    /// lmsw loads PE, MP, EM, TS (and cannot clear PE); smsw stores CR0's low word.
    func lmsw(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        try requirePrivilege()
        let value = try read(op.source, op, size: 2, address: try memoryAddress(op, size: 2))
        let cr0 = state.pointee.cr0
        setControlRegister(0, (cr0 & ~0xE) | (value & 0xF) | (cr0 & 1))
    }

    func smsw(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let address = try memoryAddress(op, size: 2)
        if op.destination == Op.memory {
            try store16(address, UInt16(truncatingIfNeeded: state.pointee.cr0))
        } else {
            setRegister(op.destination, size: op.size == 2 ? 2 : 4, state.pointee.cr0)
        }
    }

    /// A port read by an instruction: the devices are brought to the exact
    /// time first (port I/O instructions always end their block).
    func readPort(_ port: UInt16, size: Int) -> UInt32 {
        connectedTimeline?.advance(to: state.pointee.time)
        let value = ports.read(port, size: size)
        deviceWasReached()
        return value
    }

    func writePort(_ port: UInt16, size: Int, _ value: UInt32) {
        connectedTimeline?.advance(to: state.pointee.time)
        ports.write(port, size: size, value: value)
        deviceWasReached()
    }

    private func portNumber(_ op: Op) -> UInt16 {
        op.source == Op.immediate ? UInt16(op.immediate & 0xFF) : UInt16(registers[2] & 0xFFFF)
    }

    func portIn(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let port = portNumber(op)
        try checkIOPermission(port: port, size: Int(op.size))
        setRegister(0, size: Int(op.size), readPort(port, size: Int(op.size)))
    }

    func portOut(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let port = portNumber(op)
        try checkIOPermission(port: port, size: Int(op.size))
        writePort(port, size: Int(op.size), register(0, size: Int(op.size)))
    }

    // MARK: Control and debug registers

    func movToControl(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        try requirePrivilege()
        let value = registers[Int(op.source)]
        switch op.specialRegister {
        case 0, 2, 3, 4: setControlRegister(Int(op.specialRegister), value)
        default: throw .invalidOpcode(bytes: instructionBytes(op.address, length: Int(op.length)))
        }
    }

    func movFromControl(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        try requirePrivilege()
        let value: UInt32
        switch op.specialRegister {
        case 0: value = state.pointee.cr0
        case 2: value = state.pointee.cr2
        case 3: value = state.pointee.cr3
        case 4: value = state.pointee.cr4
        default: throw .invalidOpcode(bytes: instructionBytes(op.address, length: Int(op.length)))
        }
        registers[Int(op.destination)] = value
    }

    /// DR4 and DR5 alias DR6 and DR7 while CR4.DE is clear.
    private func debugIndex(_ op: Op) throws(CPUException) -> Int {
        let number = op.specialRegister
        if number == 4 || number == 5 {
            if state.pointee.cr4 & CR4.de != 0 { throw .invalidOpcode(bytes: instructionBytes(op.address, length: Int(op.length))) }
            return Int(number) + 2
        }
        return Int(number)
    }

    func movToDebug(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        try requirePrivilege()
        setDebugRegister(try debugIndex(op), registers[Int(op.source)])
    }

    func movFromDebug(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        try requirePrivilege()
        registers[Int(op.destination)] = debugRegisters[try debugIndex(op)]
    }

    /// invlpg: forgets the translation of the page holding the operand's address.
    func invlpg(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        try requirePrivilege()
        invalidatePage(try linearAddress(op, size: 1))
    }
}
