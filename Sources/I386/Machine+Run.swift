import X86Decoding

/// The run loop: fetch the decoded `Op` for eip (decoding on first sight),
/// execute it, and stop on hlt, a limit, a stop address or an exception.
extension Machine {
    /// Executes one instruction. Returns nil, or why execution cannot go on.
    @discardableResult
    public func step() -> StopReason? {
        var observer = NoObserver()
        let reason = run(maxSteps: 1, until: nil, observer: &observer)
        return reason == .stepLimit ? nil : reason
    }

    /// Runs until a stop reason: hlt, `until`, `endAddress`, an exception, or `maxSteps` instructions.
    public func run(maxSteps: Int = .max, until: UInt32? = nil) -> StopReason {
        var observer = NoObserver()
        return run(maxSteps: maxSteps, until: until, observer: &observer)
    }

    /// Runs with an observer that sees every instruction (and, if it asks, every memory write).
    public func run<Observer: ExecutionObserver>(maxSteps: Int = .max, until: UInt32? = nil,
                                                 observer: inout Observer) -> StopReason {
        let logging = observer.observesMemoryWrites
        if logging { memory.setLoggingWrites(true) }
        let loggingReads = observer.observesMemoryReads
        if loggingReads { memory.setLoggingReads(true) }
        defer {
            if logging { memory.setLoggingWrites(false) }
            if loggingReads { memory.setLoggingReads(false) }
        }
        // Stop addresses become `.stop` ops in the decode cache: the loop pays nothing for them.
        codeCache.installStops([until, endAddress].compactMap { $0 }, memory: memory)
        defer { codeCache.removeStops() }

        let (sum, overflow) = instructionCount.addingReportingOverflow(UInt64(max(maxSteps, 0)))
        let limit = overflow ? UInt64.max : sum
        while instructionCount < limit {
            if debugTrapsArmed {
                if let reason = debugStep(until: until, observer: &observer) { return reason }
                continue
            }
            if let reason = executeOne(until: until, observer: &observer) { return reason }
        }
        if let until, eip == until { return .reachedUntil }
        if let endAddress, eip == endAddress { return .endOfCode }
        return .stepLimit
    }

    /// Fetches (decoding on first sight) and executes the instruction at eip.
    /// Returns nil to go on, or why the run stops. A fault is delivered through
    /// the IDT when one is loaded; execution then goes on at the handler.
    @inline(__always)
    func executeOne<Observer: ExecutionObserver>(until: UInt32?, observer: inout Observer) -> StopReason? {
        let address = eip
        let slots = codeCache.slots(page: Int(address >> 12), memory: memory)
        let pointer = slots + Int(address & 0xFFF)
        if pointer.pointee.kind == .undecoded {
            do {
                try decodeInto(pointer, address: address)
            } catch {
                return raise(error, at: address, next: address, observer: &observer)
            }
        }
        let kind = pointer.pointee.kind
        if Observer.isActive && kind != .stop && observer.wantsWillExecute { observer.willExecute(self) }
        nextEIP = address &+ UInt32(pointer.pointee.length)
        do {
            if try !execute(pointer) {
                if kind == .stop { return address == until ? .reachedUntil : .endOfCode }
                eip = nextEIP
                instructionCount &+= 1
                observer.didExecute(self, instructionAddress: address, writes: memory.writeLog)
                return .halted
            }
        } catch {
            if kind == .unsupported { return .unsupported(describe(address)) }
            return raise(error, at: address, next: address &+ UInt32(pointer.pointee.length), observer: &observer)
        }
        eip = nextEIP
        instructionCount &+= 1
        if Observer.isActive {
            observer.didExecute(self, instructionAddress: address, writes: memory.writeLog)
            if memory.isLoggingWrites { memory.clearWriteLog() }
            if memory.isLoggingReads { memory.clearReadLog() }
        }
        return nil
    }

    /// Delivers a fault (or gives the reason the run stops) and tells the observer.
    @inline(never)
    func raise<Observer: ExecutionObserver>(_ error: CPUException, at address: UInt32, next: UInt32,
                                            observer: inout Observer) -> StopReason? {
        if memory.isLoggingWrites { memory.clearWriteLog() }  // a faulting instruction's partial writes
        eip = address
        let outcome = handleFault(error, instructionAddress: address, nextAddress: next)
        let delivered = if case .delivered = outcome { true } else { false }
        observer.didRaise(self, exception: error, instructionAddress: address, delivered: delivered,
                          writes: memory.writeLog)
        if memory.isLoggingWrites { memory.clearWriteLog() }
        switch outcome {
        case .delivered: return nil
        case .stop(let reason): return reason
        }
    }

    /// Decodes the instruction at `address` into its cache slot.
    @inline(never)
    private func decodeInto(_ slot: UnsafeMutablePointer<Op>, address: UInt32) throws(CPUException) {
        try memory.fetchBytes(address, into: &fetchBuffer)
        var op: Op
        do {
            let instruction = try decoder.decode(fetchBuffer, address: address)
            op = OpTranslator.translate(instruction)
        } catch {
            // Undecodable: #UD when executed; a fetch that ran into an unmapped
            // page first faults there, as the CPU would.
            if fetchBuffer.count < 15 {
                let next = address &+ UInt32(fetchBuffer.count)
                _ = try memory.slowRead(next, size: 1, kind: .execute)
            }
            op = Op()
            op.kind = .undecodable
            op.length = 1
        }
        codeCache.noteDecoded(at: address, length: Int(op.length), memory: memory)
        slot.pointee = codeCache.applyingStop(op, at: address)
    }

    /// The instruction at `address` as text, for messages ("movl %eax, (%ebx)").
    public func describe(_ address: UInt32) -> String {
        guard (try? memory.fetchBytes(address, into: &fetchBuffer)) != nil,
              let instruction = try? decoder.decode(fetchBuffer, address: address) else {
            return "0x\(hex8(address)): (undecodable)"
        }
        let bytes = instruction.bytes.map { hex2($0) }.joined(separator: " ")
        return "0x\(hex8(address)): \(instruction.text) (\(bytes))"
    }

    /// The bytes of the instruction at `address` (up to `length`, stopping at
    /// unmapped memory), for #UD reports.
    func instructionBytes(_ address: UInt32, length: Int) -> InstructionBytes {
        var bytes: [UInt8] = []
        for offset in 0..<max(1, min(length, 15)) {
            guard let byte = try? memory.bytes(at: address &+ UInt32(offset), count: 1) else { break }
            bytes += byte
        }
        return InstructionBytes(bytes)
    }
}
