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

    /// The time-stamp counter is the number of instructions retired: runs are deterministic.
    func rdtsc() {
        registers[0] = UInt32(truncatingIfNeeded: instructionCount)
        registers[2] = UInt32(truncatingIfNeeded: instructionCount >> 32)
    }

    // MARK: Port I/O

    /// In and out are allowed when CPL <= IOPL; otherwise every port's bit in
    /// the TSS I/O permission bitmap must be clear and inside the TSS limit (#GP(0)).
    func checkIOPermission(port: UInt16, size: Int) throws(CPUException) {
        guard cpl > iopl else { return }
        guard taskSegment.attributes & 0x80 != 0, taskSegment.attributes & 0x0D == 0x09, taskSegment.limit >= 103 else {
            throw .generalProtection(errorCode: 0)
        }
        let mapBase = UInt32(try memory.read16(taskSegment.base &+ 102))
        let first = mapBase + UInt32(port) / 8
        let last = mapBase + (UInt32(port) + UInt32(size) - 1) / 8
        guard last <= taskSegment.limit else { throw .generalProtection(errorCode: 0) }
        var bits = UInt32(try memory.read8(taskSegment.base &+ first))
        if last != first { bits |= UInt32(try memory.read8(taskSegment.base &+ last)) << 8 }
        let mask = ((UInt32(1) << UInt32(size)) - 1) << (UInt32(port) & 7)
        if bits & mask != 0 { throw .generalProtection(errorCode: 0) }
    }

    // MARK: MSRs and fast system calls

    func rdmsr() throws(CPUException) {
        try requirePrivilege()
        let value: UInt64 = switch registers[1] {
        case 0x10: instructionCount
        case 0x174: UInt64(sysenterCS)
        case 0x175: UInt64(sysenterESP)
        case 0x176: UInt64(sysenterEIP)
        default: throw .generalProtection(errorCode: 0)
        }
        registers[0] = UInt32(truncatingIfNeeded: value)
        registers[2] = UInt32(truncatingIfNeeded: value >> 32)
    }

    func wrmsr() throws(CPUException) {
        try requirePrivilege()
        switch registers[1] {
        case 0x174: sysenterCS = registers[0]
        case 0x175: sysenterESP = registers[0]
        case 0x176: sysenterEIP = registers[0]
        default: throw .generalProtection(errorCode: 0)
        }
    }

    /// A flat 4 GB segment for sysenter/sysexit, which load fixed descriptors.
    private func flatSegment(_ selector: UInt16, isCode: Bool, level: UInt16) -> SegmentRegister {
        SegmentRegister(selector: selector, base: 0, limit: 0xFFFF_FFFF,
                        attributes: (isCode ? 0xC09B : 0xC093) | (level << 5))
    }

    func sysenter() throws(CPUException) {
        let selector = UInt16(truncatingIfNeeded: sysenterCS) & 0xFFFC
        guard selector != 0 else { throw .generalProtection(errorCode: 0) }
        eflags = eflags & ~(EFLAGS.vm | EFLAGS.if | EFLAGS.rf)
        setSegment(.cs, flatSegment(selector, isCode: true, level: 0))
        setSegment(.ss, flatSegment(selector &+ 8, isCode: false, level: 0))
        registers[4] = sysenterESP
        nextEIP = sysenterEIP
    }

    func sysexit() throws(CPUException) {
        let selector = UInt16(truncatingIfNeeded: sysenterCS) & 0xFFFC
        guard cpl == 0, selector != 0 else { throw .generalProtection(errorCode: 0) }
        setSegment(.cs, flatSegment((selector &+ 16) | 3, isCode: true, level: 3))
        setSegment(.ss, flatSegment((selector &+ 24) | 3, isCode: false, level: 3))
        registers[4] = registers[1]
        nextEIP = registers[2]
    }

    /// lmsw loads PE, MP, EM, TS (and cannot clear PE); smsw stores CR0's low word.
    func lmsw(_ op: Op) throws(CPUException) {
        try requirePrivilege()
        let value = try read(op.source, op, size: 2, address: try memoryAddress(op, size: 2))
        cr0 = (cr0 & ~0xE) | (value & 0xF) | (cr0 & 1)
    }

    func smsw(_ op: Op) throws(CPUException) {
        let address = try memoryAddress(op, size: 2)
        if op.destination == Op.memory {
            try memory.write16(address, UInt16(truncatingIfNeeded: cr0))
        } else {
            setRegister(op.destination, size: op.size == 2 ? 2 : 4, cr0)
        }
    }

    func readPort(_ port: UInt16, size: Int) -> UInt32 {
        let value = sizeMask(size)  // nothing is attached: the bus floats high
        portLog.append((port, size, value, false))
        return value
    }

    func writePort(_ port: UInt16, size: Int, _ value: UInt32) {
        if port == 0xE9 {
            console.append(UInt8(truncatingIfNeeded: value))
        } else {
            portLog.append((port, size, value & sizeMask(size), true))
        }
    }

    private func portNumber(_ op: Op) -> UInt16 {
        op.source == Op.immediate ? UInt16(op.immediate & 0xFF) : UInt16(registers[2] & 0xFFFF)
    }

    func portIn(_ op: Op) throws(CPUException) {
        let port = portNumber(op)
        try checkIOPermission(port: port, size: Int(op.size))
        setRegister(0, size: Int(op.size), readPort(port, size: Int(op.size)))
    }

    func portOut(_ op: Op) throws(CPUException) {
        let port = portNumber(op)
        try checkIOPermission(port: port, size: Int(op.size))
        writePort(port, size: Int(op.size), register(0, size: Int(op.size)))
    }

    // MARK: Control and debug registers

    func movToControl(_ op: Op) throws(CPUException) {
        try requirePrivilege()
        let value = registers[Int(op.source)]
        switch op.extra {
        case 0: cr0 = value | 0x10  // ET is hard-wired to 1
        case 2: cr2 = value
        case 3: cr3 = value
        case 4: cr4 = value
        default: throw .invalidOpcode(bytes: instructionBytes(eip, length: Int(op.length)))
        }
    }

    func movFromControl(_ op: Op) throws(CPUException) {
        try requirePrivilege()
        let value: UInt32
        switch op.extra {
        case 0: value = cr0
        case 2: value = cr2
        case 3: value = cr3
        case 4: value = cr4
        default: throw .invalidOpcode(bytes: instructionBytes(eip, length: Int(op.length)))
        }
        registers[Int(op.destination)] = value
    }

    /// DR4 and DR5 alias DR6 and DR7 while CR4.DE is clear.
    private func debugIndex(_ number: UInt8) throws(CPUException) -> Int {
        if number == 4 || number == 5 {
            if cr4 & 0x8 != 0 { throw .invalidOpcode(bytes: []) }
            return Int(number) + 2
        }
        return Int(number)
    }

    func movToDebug(_ op: Op) throws(CPUException) {
        try requirePrivilege()
        let index = try debugIndex(op.extra)
        var value = registers[Int(op.source)]
        if index == 6 { value = (value & 0x0000_E00F) | 0xFFFF_0FF0 }
        if index == 7 { value = (value & 0xFFFF_2BFF) | 0x0000_0400 }
        debugRegisters[index] = value
        updateDebugArming()
    }

    func movFromDebug(_ op: Op) throws(CPUException) {
        try requirePrivilege()
        registers[Int(op.destination)] = debugRegisters[try debugIndex(op.extra)]
    }
}
