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
        defer { if logging { memory.setLoggingWrites(false) } }

        let stopAt = until ?? 0
        let hasStop = until != nil
        let end = endAddress ?? 0
        let hasEnd = endAddress != nil
        var remaining = maxSteps
        while remaining > 0 {
            if hasStop && eip == stopAt { return .reachedUntil }
            if hasEnd && eip == end { return .endOfCode }
            let address = eip
            let op: Op
            do {
                op = try fetch(address)
            } catch {
                observer.didRaise(self, exception: error, instructionAddress: address)
                return .exception(error)
            }
            observer.willExecute(self)
            nextEIP = address &+ UInt32(op.length)
            do {
                if try !execute(op) {
                    instructionCount &+= 1
                    remaining -= 1
                    eip = nextEIP
                    observer.didExecute(self, instructionAddress: address, writes: memory.writeLog)
                    return .halted
                }
            } catch {
                if case .pageFault(let faultAddress, _) = error { cr2 = faultAddress }
                observer.didRaise(self, exception: error, instructionAddress: address)
                if op.kind == .unsupported { return .unsupported(describe(address)) }
                return .exception(error)
            }
            eip = nextEIP
            instructionCount &+= 1
            remaining -= 1
            if logging {
                observer.didExecute(self, instructionAddress: address, writes: memory.writeLog)
                memory.clearWriteLog()
            } else {
                observer.didExecute(self, instructionAddress: address, writes: [])
            }
        }
        if hasStop && eip == stopAt { return .reachedUntil }
        if hasEnd && eip == end { return .endOfCode }
        return .stepLimit
    }

    /// The decoded instruction at `address`, decoding it on first use.
    @inline(__always)
    func fetch(_ address: UInt32) throws(CPUException) -> Op {
        let slots = codeCache.slots(page: Int(address >> 12), memory: memory)
        let op = slots[Int(address & 0xFFF)]
        if op.kind != .undecoded { return op }
        return try decodeAndCache(address, slots: slots)
    }

    @inline(never)
    private func decodeAndCache(_ address: UInt32, slots: UnsafeMutablePointer<Op>) throws(CPUException) -> Op {
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
            op.kind = .invalid
            op.length = 1
        }
        codeCache.noteDecoded(at: address, length: Int(op.length), memory: memory)
        slots[Int(address & 0xFFF)] = op
        return op
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

    /// The bytes of the instruction at `address` (up to 15), for #UD reports.
    func instructionBytes(_ address: UInt32, length: Int) -> [UInt8] {
        (try? memory.bytes(at: address, count: max(1, min(length, 15)))) ?? []
    }
}
