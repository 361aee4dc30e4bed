/// Delivery of exceptions and software interrupts through the IDT
/// (32-bit interrupt and trap gates, and task gates: `TaskSwitch.swift`),
/// with the SDM's checks, the stack switch from the TSS on a privilege
/// change, #DF, and triple faults.
extension Machine {
    /// What became of a fault raised by an instruction.
    enum FaultOutcome {
        /// Delivered: execution goes on at the handler.
        case delivered
        /// Not delivered: the run stops with this reason.
        case stop(StopReason)
    }

    /// True when an IDT has been loaded (a zero limit means none: exceptions stop the run).
    public var hasIDT: Bool { idtr.limit != 0 }

    /// Whether `exception` is a trap (the saved eip is the next instruction's).
    private static func isTrap(_ exception: CPUException) -> Bool {
        switch exception {
        case .breakpoint, .overflow: true
        default: false
        }
    }

    /// Contributory exceptions and #PF combine into #DF (SDM Table 6-5).
    private static func doubleFaultClass(_ exception: CPUException) -> Int {
        switch exception {
        case .divideError, .invalidTSS, .segmentNotPresent, .stackFault, .generalProtection: 1
        case .pageFault: 2
        default: 0
        }
    }

    /// Delivers a fault raised at `instructionAddress`; eip is restored there
    /// (or set past the instruction for traps) before delivery.
    func handleFault(_ exception: CPUException, instructionAddress: UInt32, nextAddress: UInt32) -> FaultOutcome {
        if case .pageFault(let address, _) = exception { setControlRegister(2, address) }
        var returnAddress = Self.isTrap(exception) ? nextAddress : instructionAddress
        resumeInNewTask(&returnAddress)
        guard hasIDT else { return .stop(.exception(exception)) }
        do {
            try deliver(exception, returnAddress: returnAddress, isSoftware: false)
            return .delivered
        } catch {
            // A fault while delivering: #DF when both are contributory or page faults.
            resumeInNewTask(&returnAddress)
            if case .pageFault(let address, _) = error { setControlRegister(2, address) }
            let first = Self.doubleFaultClass(exception)
            let second = Self.doubleFaultClass(error)
            if case .doubleFault = exception { return tripleFault([exception, error]) }
            let becomesDoubleFault = (first == 1 && second == 1) || (first == 2 && second != 0)
            let next: CPUException = becomesDoubleFault ? .doubleFault : error
            var chain = becomesDoubleFault ? [exception, error, next] : [exception, error]
            do {
                try deliver(next, returnAddress: returnAddress, isSoftware: false)
                return .delivered
            } catch {
                resumeInNewTask(&returnAddress)
                if case .pageFault(let address, _) = error { setControlRegister(2, address) }
                chain.append(error)
                if case .doubleFault = next { return tripleFault(chain) }
                do {
                    try deliver(.doubleFault, returnAddress: returnAddress, isSoftware: false)
                    return .delivered
                } catch {
                    chain += [.doubleFault, error]
                    return tripleFault(chain)
                }
            }
        }
    }

    /// Remembers the exceptions that led to a triple fault (`tripleFaultChain`).
    private func tripleFault(_ chain: [CPUException]) -> FaultOutcome {
        tripleFaultChain = chain
        return .stop(.tripleFault)
    }

    /// A task switch faulted past its commit point: the fault happens in the
    /// new task, before its first instruction, so that is where it returns (and where eip stays if the run stops).
    private func resumeInNewTask(_ returnAddress: inout UInt32) {
        guard let address = taskSwitchResumeAddress else { return }
        taskSwitchResumeAddress = nil
        returnAddress = address
        eip = address
    }

    /// Delivers external interrupt `vector` (acknowledged from the interrupt
    /// controller) before the instruction at `returnAddress`; a fault while
    /// delivering it is handled as that instruction's fault.
    func handleInterrupt(_ vector: Int, returnAddress: UInt32) -> FaultOutcome {
        guard hasIDT else { return .stop(.exception(.generalProtection(errorCode: UInt32(vector) << 3 | 3))) }
        do {
            try deliverVector(vector, errorCode: nil, returnAddress: returnAddress, isSoftware: false, external: true)
            return .delivered
        } catch {
            return handleFault(error, instructionAddress: returnAddress, nextAddress: returnAddress)
        }
    }

    /// `int n`, `int3` and `into`: a software interrupt through gate `vector`,
    /// returning to the next instruction. Without an IDT, `fallback` stops the run.
    func softwareInterrupt(_ vector: Int, fallback: CPUException) throws(CPUException) {
        guard hasIDT else { throw fallback }
        let event: CPUException = vector == 3 ? .breakpoint : (vector == 4 ? .overflow : fallback)
        _ = event
        try deliverVector(vector, errorCode: nil, returnAddress: nextEIP, isSoftware: true, external: false)
    }

    /// `int1` (icebp, F1): #DB through vector 1, returning to the next
    /// instruction, delivered as a hardware exception would be: the gate's
    /// DPL is not checked and a fault during delivery has EXT set (SDM Vol. 2,
    /// INT n/INTO/INT3/INT1). DR6 is left alone. Without an IDT the run stops with #DB.
    func debugInterrupt() throws(CPUException) {
        guard hasIDT else { throw .debug }
        try deliverVector(1, errorCode: nil, returnAddress: nextEIP, isSoftware: false, external: true)
    }

    private func deliver(_ exception: CPUException, returnAddress: UInt32, isSoftware: Bool) throws(CPUException) {
        try deliverVector(exception.vector, errorCode: exception.errorCode, returnAddress: returnAddress,
                          isSoftware: isSoftware, external: !isSoftware)
    }

    /// Pushes the frame and jumps to the handler of `vector`.
    /// `external` sets the EXT bit of error codes (an exception or hardware
    /// interrupt, not an `int n`); `isSoftware` applies the gate's DPL check.
    private func deliverVector(_ vector: Int, errorCode: UInt32?, returnAddress: UInt32, isSoftware: Bool,
                               external isExternal: Bool) throws(CPUException) {
        let external: UInt32 = isExternal ? 1 : 0
        let gateError = UInt32(vector) << 3 | 2 | external
        guard UInt32(vector) * 8 + 7 <= UInt32(idtr.limit) else { throw .generalProtection(errorCode: gateError) }
        let gateAddress = idtr.base &+ UInt32(vector) * 8
        let (low, high) = try asSupervisor { () throws(CPUException) -> (UInt32, UInt32) in
            (try load32(gateAddress), try load32(gateAddress &+ 4))
        }
        let type = (high >> 8) & 0x1F
        // 32-bit interrupt and trap gates, and task gates.
        guard type == 0x0E || type == 0x0F || type == 0x05 else { throw .generalProtection(errorCode: gateError) }
        let gateDPL = Int((high >> 13) & 3)
        if isSoftware && gateDPL < cpl { throw .generalProtection(errorCode: gateError) }
        guard high & 0x8000 != 0 else { throw .segmentNotPresent(errorCode: gateError) }
        if type == 0x05 {
            try interruptThroughTaskGate(gateLow: low, returnAddress: returnAddress, errorCode: errorCode,
                                         external: external)
            deliveredEvents.append((vector, errorCode, returnAddress))
            return
        }
        let selector = UInt16(low >> 16)
        let offset = (low & 0xFFFF) | (high & 0xFFFF_0000)

        guard selector & 0xFFFC != 0 else { throw .generalProtection(errorCode: external) }
        let code = try readDescriptor(selector)
        let selectorError = UInt32(selector & 0xFFFC) | external
        let codeType = code.attributes & 0x1F
        guard codeType & 0x18 == 0x18 else { throw .generalProtection(errorCode: selectorError) }  // a code segment
        let codeDPL = Int((code.attributes >> 5) & 3)
        guard codeDPL <= cpl else { throw .generalProtection(errorCode: selectorError) }
        guard code.attributes & 0x80 != 0 else { throw .segmentNotPresent(errorCode: selectorError) }
        let conforming = codeType & 0x04 != 0

        let oldFlags = eflags
        let oldCS = UInt32(segments[SegmentName.cs.rawValue].selector)
        let oldSS = UInt32(segments[SegmentName.ss.rawValue].selector)
        let oldESP = registers[4]
        let savedSegments = savedSegmentRegisters()
        let newCPL = conforming ? cpl : codeDPL
        let pushFrame = { () throws(CPUException) in
            if newCPL < self.cpl {
                // Inner level: the new stack comes from the TSS.
                let (stackSelector, stackPointer) = try self.stackFromTSS(level: newCPL)
                try self.loadStackForLevel(stackSelector, level: newCPL)
                self.registers[4] = stackPointer
                try self.push32(oldSS)
                try self.push32(oldESP)
            }
            try self.push32(oldFlags)
            try self.push32(oldCS)
            try self.push32(returnAddress)
            if let errorCode { try self.push32(errorCode) }
        }
        do {
            // The frame of a handler below ring 3 is pushed by supervisor accesses.
            if newCPL < 3 { try asSupervisor(pushFrame) } else { try pushFrame() }
        } catch {
            restoreSegmentRegisters(savedSegments)
            registers[4] = oldESP
            throw error
        }
        var codeRegister = code
        codeRegister.selector = (selector & 0xFFFC) | UInt16(newCPL)
        setSegment(.cs, codeRegister)
        var flags = oldFlags & ~(EFLAGS.tf | EFLAGS.nt | EFLAGS.rf | EFLAGS.vm)
        if type == 0x0E { flags &= ~EFLAGS.if }
        eflags = flags
        nextEIP = offset
        eip = offset
        deliveredEvents.append((vector, errorCode, returnAddress))
    }

    /// ss and esp for privilege `level` from the current TSS (#TS when the TSS is too short).
    func stackFromTSS(level: Int) throws(CPUException) -> (UInt16, UInt32) {
        let offset = UInt32(4 + level * 8)
        let task = state.pointee.taskRegister
        guard task.attributes & 0x80 != 0, offset + 5 <= task.limit else {
            throw .invalidTSS(errorCode: UInt32(task.selector & 0xFFFC))
        }
        return try asSupervisor { () throws(CPUException) -> (UInt16, UInt32) in
            let esp = try load32(task.base &+ offset)
            let ss = try load16(task.base &+ offset &+ 4)
            return (ss, esp)
        }
    }

    /// Loads ss for an inner-level stack: a writable data segment with RPL = DPL = `level` (#TS otherwise).
    func loadStackForLevel(_ selector: UInt16, level: Int) throws(CPUException) {
        let code = UInt32(selector & 0xFFFC)
        guard selector & 0xFFFC != 0, Int(selector & 3) == level else { throw .invalidTSS(errorCode: code) }
        let descriptor: SegmentRegister
        do {
            descriptor = try readDescriptor(selector)
        } catch {
            throw .invalidTSS(errorCode: code)
        }
        let type = descriptor.attributes & 0x1F
        guard type & 0x1A == 0x12, Int((descriptor.attributes >> 5) & 3) == level else { throw .invalidTSS(errorCode: code) }
        guard descriptor.attributes & 0x80 != 0 else { throw .stackFault(errorCode: code) }
        var stack = descriptor
        stack.selector = selector
        setSegment(.ss, stack)
    }
}
