/// Privileged and identification instructions: cli/sti, cpuid, rdtsc,
/// rdpmc, salc, port I/O, MSRs, control and debug registers.
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

    /// CPUID: the modelled CPU's identity and exactly the features kstep
    /// executes (`CPUModel`). Leaves above the highest basic leaf, the
    /// extended ones (0x80000000…) included, return the highest basic leaf,
    /// as Intel's P6 parts do.
    func cpuid() {
        let leaf = registers[0] > CPUModel.highestLeaf ? CPUModel.highestLeaf : registers[0]
        let values = CPUModel.cpuid(leaf: leaf)
        registers[0] = values.eax
        registers[3] = values.ebx
        registers[1] = values.ecx
        registers[2] = values.edx
    }

    /// The time-stamp counter is the device time in ticks (one per
    /// instruction, per extra `rep` iteration, per tick halted): runs are
    /// deterministic. With CR4.TSD set it is readable only at CPL 0 (#GP(0)).
    func rdtsc() throws(CPUException) {
        if state.pointee.cr4 & CR4.tsd != 0 && cpl != 0 { throw .generalProtection(errorCode: 0) }
        let time = state.pointee.time
        registers[0] = UInt32(truncatingIfNeeded: time)
        registers[2] = UInt32(truncatingIfNeeded: time >> 32)
    }

    /// rdpmc (P6 rules): counter ECX (0 or 1, else #GP(0)), readable at CPL 0
    /// or with CR4.PCE set (else #GP(0)); the 40-bit value in EDX[7:0]:EAX.
    /// The counters hold what wrmsr put in PerfCtr0/1: kstep counts no events.
    func rdpmc() throws(CPUException) {
        if cpl != 0 && state.pointee.cr4 & CR4.pce == 0 { throw .generalProtection(errorCode: 0) }
        let value: UInt64
        switch registers[1] {
        case 0: value = state.pointee.performanceCounters.0
        case 1: value = state.pointee.performanceCounters.1
        default: throw .generalProtection(errorCode: 0)
        }
        registers[0] = UInt32(truncatingIfNeeded: value)
        registers[2] = UInt32(truncatingIfNeeded: value >> 32) & 0xFF
    }

    /// salc: AL = 0xFF when CF is set, else 0; the flags do not change.
    func salc() {
        setRegister(0, size: 1, carryFlag != 0 ? 0xFF : 0)
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
        case MSR.timeStampCounter: state.pointee.time
        case MSR.performanceCounter0: state.pointee.performanceCounters.0
        case MSR.performanceCounter1: state.pointee.performanceCounters.1
        case MSR.sysenterCS: UInt64(state.pointee.sysenterCS)
        case MSR.sysenterESP: UInt64(state.pointee.sysenterESP)
        case MSR.sysenterEIP: UInt64(state.pointee.sysenterEIP)
        case MSR.eventSelect0: UInt64(state.pointee.eventSelects.0)
        case MSR.eventSelect1: UInt64(state.pointee.eventSelects.1)
        default: throw .generalProtection(errorCode: 0)
        }
        registers[0] = UInt32(truncatingIfNeeded: value)
        registers[2] = UInt32(truncatingIfNeeded: value >> 32)
    }

    func wrmsr() throws(CPUException) {
        try requirePrivilege()
        let low = registers[0]
        // P6 counters take 32 bits, sign-extended to their 40.
        let counter = UInt64(bitPattern: Int64(Int32(bitPattern: low))) & 0xFF_FFFF_FFFF
        switch registers[1] {
        case MSR.performanceCounter0: state.pointee.performanceCounters.0 = counter
        case MSR.performanceCounter1: state.pointee.performanceCounters.1 = counter
        case MSR.sysenterCS: state.pointee.sysenterCS = low
        case MSR.sysenterESP: state.pointee.sysenterESP = low
        case MSR.sysenterEIP: state.pointee.sysenterEIP = low
        case MSR.eventSelect0: state.pointee.eventSelects.0 = low
        case MSR.eventSelect1: state.pointee.eventSelects.1 = low
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
        if !ioWatches.isEmpty { noteIOWatches(port, size: size) }
        return value
    }

    func writePort(_ port: UInt16, size: Int, _ value: UInt32) {
        connectedTimeline?.advance(to: state.pointee.time)
        ports.write(port, size: size, value: value)
        deviceWasReached()
        if !ioWatches.isEmpty { noteIOWatches(port, size: size) }
    }

    /// I/O breakpoints (DR7 R/W = 10 with CR4.DE) the access hits: a #DB trap after the instruction.
    private func noteIOWatches(_ port: UInt16, size: Int) {
        let first = UInt32(port)
        let last = first + UInt32(size) - 1
        for watch in ioWatches where first < watch.start + watch.length && last >= watch.start {
            watchHits |= 1 << UInt8(watch.index)
        }
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
        case 0:
            // PG without PE, or NW without CD: #GP(0) (SDM Vol. 2, MOV—Move to/from Control Registers).
            if value & CR0.pg != 0 && value & CR0.pe == 0 { throw .generalProtection(errorCode: 0) }
            if value & CR0.nw != 0 && value & CR0.cd == 0 { throw .generalProtection(errorCode: 0) }
            setControlRegister(0, value)
        case 4:
            // A bit for a feature the model lacks is reserved: #GP(0).
            if value & ~CPUModel.cr4Bits != 0 { throw .generalProtection(errorCode: 0) }
            setControlRegister(4, value)
        case 2, 3: setControlRegister(Int(op.specialRegister), value)
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
