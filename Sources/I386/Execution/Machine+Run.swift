/// The run loop: between blocks, look at the pending-events word and the
/// limits (step limit, the devices' next deadline) once; then run a decoded
/// block, at most as many instructions as the limits allow, so `--max-steps`
/// and device interrupts land on exactly the same instruction however the
/// code was split into blocks.
extension Machine {
    /// Executes one instruction (or delivers the exception or interrupt due
    /// first). Returns nil, or why execution cannot go on.
    @discardableResult
    public func step() -> StopReason? {
        var observer = NoObserver()
        let reason = run(maxSteps: 1, until: nil, observer: &observer)
        return reason == .stepLimit ? nil : reason
    }

    /// Runs until a stop reason: hlt with interrupts off, `until`,
    /// `endAddress`, an exception no IDT takes, or `maxSteps` instructions.
    public func run(maxSteps: Int = .max, until: UInt32? = nil) -> StopReason {
        var observer = NoObserver()
        return run(maxSteps: maxSteps, until: until, observer: &observer)
    }

    /// Runs with an observer that sees every instruction (and, if it asks, every memory access).
    public func run<Observer: ExecutionObserver>(maxSteps: Int = .max, until: UInt32? = nil,
                                                 observer: inout Observer) -> StopReason {
        let logsWrites = observer.observesMemoryWrites
        let logsReads = observer.observesMemoryReads
        if logsWrites { setLoggingWrites(true) }
        if logsReads { setLoggingReads(true) }
        defer {
            if logsWrites { setLoggingWrites(false) }
            if logsReads { setLoggingReads(false) }
        }
        blocks.setStopAddresses(until: until, end: endAddress)
        if blocks.hasStops { noteRunStart() }
        let (sum, overflow) = state.pointee.instructionCount.addingReportingOverflow(UInt64(max(maxSteps, 0)))
        let stepLimit = overflow ? UInt64.max : sum
        refreshDeviceLimit()

        while true {
            let count = state.pointee.instructionCount
            var limit = min(stepLimit, deviceLimit)
            // One test for everything that is not "run the next block": the
            // limits and pending events. (Stop addresses have blocks of their own.)
            if count >= limit || !state.pointee.pendingEvents.isEmpty {
                if count >= stepLimit {
                    // At the limit on a stop address, the stop is the better answer.
                    if blocks.hasStops, let reason = blocks.stopReason(at: state.pointee.eip) { return reason }
                    return .stepLimit
                }
                switch handleEvents(observer: &observer) {
                case .stop(let reason): return reason
                case .again: continue
                case .debugStep:
                    if let reason = debugStep(observer: &observer) { return reason }
                    continue
                case .singleInstruction:
                    if let reason = runOneInstruction(observer: &observer) { return reason }
                    continue
                case .proceed: limit = min(stepLimit, deviceLimit)
                }
                if count >= limit { continue }
            }
            if let reason = runBlocks(limit: limit, observer: &observer) { return reason }
        }
    }

    /// Runs whole blocks one after the other while they fit under `limit`
    /// and nothing is pending; returns to the run loop for everything else
    /// (a block to build, a partial block, an event, an observer).
    @inline(__always)
    func runBlocks<Observer: ExecutionObserver>(limit: UInt64, observer: inout Observer) -> StopReason? {
        while true {
            let eip = state.pointee.eip
            let entry = jumpTable + BlockCache.jumpSlot(eip)
            let block: UnsafeMutablePointer<Block>
            if entry.pointee.eip == eip, let cached = entry.pointee.block {
                block = cached
            } else {
                do {
                    block = try buildBlock(at: eip)
                } catch {
                    return raise(error, at: eip, next: eip, observer: &observer)
                }
            }
            // The only place `execute(_:budget:observer:)` is inlined into the run loop.
            if let reason = execute(block, budget: limit &- state.pointee.instructionCount, observer: &observer) {
                return reason
            }
            if !state.pointee.pendingEvents.isEmpty || state.pointee.instructionCount >= limit { return nil }
        }
    }

    /// Runs exactly one instruction (the one an interrupt shadow covers).
    @inline(never)
    func runOneInstruction<Observer: ExecutionObserver>(observer: inout Observer) -> StopReason? {
        runBlock(budget: 1, observer: &observer)
    }

    /// What the run loop does after looking at the pending events.
    enum EventOutcome {
        case stop(StopReason)
        /// Something changed (an interrupt was delivered, time jumped): look again.
        case again
        /// Debug traps are armed: one instruction with debug checks.
        case debugStep
        /// An interrupt shadow covers the next instruction: run exactly one.
        case singleInstruction
        case proceed
    }

    /// Handles what is pending at an instruction boundary, in the SDM's
    /// priority order: a stop request, the trap of a task switch (T bit),
    /// device time, the interrupt shadow, debug traps, then a maskable
    /// interrupt if IF allows.
    @inline(never)
    func handleEvents<Observer: ExecutionObserver>(observer: inout Observer) -> EventOutcome {
        let external = state.pointee.pendingEvents.external
        if external != 0 {
            state.pointee.pendingEvents.external = 0
            return .stop(external & PendingEvents.resetRequest != 0 ? .reset : .stopRequested)
        }
        if state.pointee.pendingEvents.local & PendingEvents.taskSwitchTrap != 0 {
            state.pointee.pendingEvents.local &= ~PendingEvents.taskSwitchTrap
            setDebugRegister(6, debugRegisters[6] | Self.dr6TaskSwitch)
            let eip = state.pointee.eip
            if let reason = raise(.debug, at: eip, next: eip, observer: &observer) { return .stop(reason) }
            return .again
        }
        state.pointee.pendingEvents.local &= ~PendingEvents.limitsChanged
        if let timeline = connectedTimeline, state.pointee.instructionCount >= deviceLimit {
            timeline.advance(to: state.pointee.time)
            refreshDeviceLimit()
        }
        if state.pointee.pendingEvents.local & PendingEvents.shadow != 0 {
            state.pointee.pendingEvents.local &= ~PendingEvents.shadow
            state.pointee.interruptShadow = false
            return state.pointee.pendingEvents.local & PendingEvents.debugTraps != 0 ? .debugStep : .singleInstruction
        }
        if state.pointee.pendingEvents.local & PendingEvents.interruptRequest != 0 && storedFlags & EFLAGS.if != 0 {
            if let vector = connectedController?.acknowledgeInterrupt() {
                if let reason = deliverExternalInterrupt(vector, observer: &observer) { return .stop(reason) }
                return .again
            }
        }
        if state.pointee.pendingEvents.local & PendingEvents.debugTraps != 0 { return .debugStep }
        return .proceed
    }

    /// A device was read or written: its next deadline may have moved, and the
    /// run loop must look again before running on.
    func deviceWasReached() {
        refreshDeviceLimit()
        state.pointee.pendingEvents.local |= PendingEvents.limitsChanged
    }

    /// Recomputes when the devices next need the CPU, in instruction-count units.
    func refreshDeviceLimit() {
        guard let timeline = connectedTimeline else {
            deviceLimit = .max
            return
        }
        let deadline = timeline.nextDeadline
        let beyond = state.pointee.ticksBeyondInstructions
        deviceLimit = deadline == .max ? .max : (deadline > beyond ? deadline - beyond : 0)
    }

    /// Runs the block at eip (building it first if needed) for at most `budget` instructions.
    @inline(__always)
    func runBlock<Observer: ExecutionObserver>(budget: UInt64, observer: inout Observer) -> StopReason? {
        let eip = state.pointee.eip
        let entry = jumpTable + BlockCache.jumpSlot(eip)
        let block: UnsafeMutablePointer<Block>
        if entry.pointee.eip == eip, let cached = entry.pointee.block {
            block = cached
        } else {
            do {
                block = try buildBlock(at: eip)
            } catch {
                return raise(error, at: eip, next: eip, observer: &observer)
            }
        }
        return execute(block, budget: budget, observer: &observer)
    }

    /// Executes up to `budget` ops of `block`. eip is set once, to where the
    /// block falls through (the last op may branch instead), and the
    /// instruction count is added once, at the end: the ops that read time or
    /// talk to devices run as blocks of their own, so the count is exact for them.
    @inline(__always)
    func execute<Observer: ExecutionObserver>(_ block: UnsafeMutablePointer<Block>, budget: UInt64,
                                              observer: inout Observer) -> StopReason? {
        let count = block.pointee.count
        guard !Observer.isActive && UInt64(count) <= budget else {
            return executeStepwise(block, budget: budget, observer: &observer)
        }
        let ops = block.ops
        var op = ops
        do throws(CPUException) {
            state.pointee.eip = block.pointee.fallThrough
            // A one-instruction block that reaches a device runs with the count exact.
            timeIsExact = block.pointee.isExactTime
            // Until an op says stop: the sentinel after the last one always does,
            // so the loop needs no end test.
            while try execute(op) { op += 1 }
            timeIsExact = false
            if op.pointee.kind == .blockEnd {
                state.pointee.instructionCount &+= UInt64(count)
                return nil
            }
            return exitBlock(at: op, uncounted: op - ops, observer: &observer)
        } catch {
            timeIsExact = false
            state.pointee.instructionCount &+= UInt64(op - ops)
            return blockRaised(error, at: op, in: block, observer: &observer)
        }
    }

    /// Runs ops of `block` one at a time with the count and eip exact after
    /// each: for an observer (which sees every instruction), and for a block
    /// cut short by the step limit or a device deadline.
    @inline(never)
    func executeStepwise<Observer: ExecutionObserver>(_ block: UnsafeMutablePointer<Block>, budget: UInt64,
                                                      observer: inout Observer) -> StopReason? {
        let ops = block.ops
        let end = ops + Int(min(UInt64(block.pointee.count), budget))
        var op = ops
        timeIsExact = true  // the count is exact before each op here
        defer { timeIsExact = false }
        do throws(CPUException) {
            repeat {
                let address = op.pointee.address
                state.pointee.eip = address
                if Observer.isActive && op.pointee.kind != .staleCode && op.pointee.kind != .stop
                    && observer.wantsWillExecute {
                    observer.willExecute(self)
                }
                state.pointee.eip = address &+ UInt32(op.pointee.length)
                guard try execute(op) else { return exitBlock(at: op, uncounted: 0, observer: &observer) }
                state.pointee.instructionCount &+= 1
                if Observer.isActive {
                    observer.didExecute(self, instructionAddress: address, writes: writeLogView)
                    clearAccessLogs()
                }
                op += 1
            } while op != end
            return nil
        } catch {
            return blockRaised(error, at: op, in: block, observer: &observer)
        }
    }

    /// An op of `block` raised `error` (the ops before it are counted).
    @inline(never)
    func blockRaised<Observer: ExecutionObserver>(_ error: CPUException, at op: UnsafeMutablePointer<Op>,
                                                  in block: UnsafeMutablePointer<Block>,
                                                  observer: inout Observer) -> StopReason? {
        let address = op.pointee.address
        if case .restartExactly = error {
            // Rebuild the block with this instruction on its own, then run it now.
            let physical = block.pointee.physicalAddress &+ (address &- block.pointee.eip)
            blocks.noteDeviceAccess(physical: physical, in: block)
            return executeExactly(op, observer: &observer)
        }
        return raise(error, at: address, next: address &+ UInt32(op.pointee.length), observer: &observer)
    }

    /// An op returned false: hlt retired, the block's code was rewritten
    /// under it, or a `rep` instruction stopped between iterations for an
    /// event. `uncounted` ops before it retired without being counted yet.
    @inline(never)
    func exitBlock<Observer: ExecutionObserver>(at op: UnsafeMutablePointer<Op>, uncounted: Int,
                                                observer: inout Observer) -> StopReason? {
        state.pointee.instructionCount &+= UInt64(uncounted)
        let exit = blockExit
        blockExit = .none
        switch exit {
        case .retired:
            state.pointee.eip = op.pointee.address &+ UInt32(op.pointee.length)
            state.pointee.instructionCount &+= 1
            if Observer.isActive {
                observer.didExecute(self, instructionAddress: op.pointee.address, writes: writeLogView)
                clearAccessLogs()
            }
            return nil
        case .stop:
            let address = op.pointee.address
            if breakpointToPass != nil && passesStop(at: address) { return runPastStop(observer: &observer) }
            return blocks.stopReason(at: address) ?? .reachedUntil
        case .halted:
            let address = op.pointee.address
            state.pointee.eip = address &+ UInt32(op.pointee.length)
            state.pointee.instructionCount &+= 1
            if Observer.isActive {
                observer.didExecute(self, instructionAddress: address, writes: writeLogView)
                clearAccessLogs()
            }
            return waitForInterrupt()
        case .notRetired, .none:
            state.pointee.eip = op.pointee.address
            return nil
        }
    }

    /// The op raised `restartExactly` (it reached a device in the middle of a
    /// block): run it again alone, with the instruction count exact.
    @inline(never)
    func executeExactly<Observer: ExecutionObserver>(_ op: UnsafeMutablePointer<Op>,
                                                     observer: inout Observer) -> StopReason? {
        let address = op.pointee.address
        state.pointee.eip = address
        if Observer.isActive && observer.wantsWillExecute { observer.willExecute(self) }
        nextEIP = address &+ UInt32(op.pointee.length)
        timeIsExact = true
        defer { timeIsExact = false }
        do {
            guard try execute(op) else { return exitBlock(at: op, uncounted: 0, observer: &observer) }
        } catch {
            return raise(error, at: address, next: nextEIP, observer: &observer)
        }
        state.pointee.eip = nextEIP
        state.pointee.instructionCount &+= 1
        if Observer.isActive {
            observer.didExecute(self, instructionAddress: address, writes: writeLogView)
            clearAccessLogs()
        }
        return nil
    }

    /// hlt retired: with interrupts enabled, time jumps from one device
    /// deadline to the next (idle costs nothing) until a device requests an
    /// interrupt, as the CPU stays halted through events that raise none; with
    /// IF clear, or when no device has anything left to do, the run stops.
    /// A stop request from outside ends the wait (the run loop answers it).
    func waitForInterrupt() -> StopReason? {
        guard storedFlags & EFLAGS.if != 0, let timeline = connectedTimeline else { return .halted }
        while state.pointee.pendingEvents.local & PendingEvents.interruptRequest == 0
                && state.pointee.pendingEvents.external == 0 {
            let deadline = timeline.nextDeadline
            guard deadline != .max else { return .halted }
            if deadline > state.pointee.time { state.pointee.ticksBeyondInstructions &+= deadline - state.pointee.time }
            timeline.advance(to: state.pointee.time)
        }
        deviceWasReached()
        return nil
    }

    /// Delivers a fault (or gives the reason the run stops) and tells the observer.
    @inline(never)
    func raise<Observer: ExecutionObserver>(_ error: CPUException, at address: UInt32, next: UInt32,
                                            observer: inout Observer) -> StopReason? {
        accessLogs.pointee.writes.removeAll()  // a faulting instruction's partial writes
        if caughtVectorMask != 0, let reason = catchException(error, at: address) { return reason }
        state.pointee.eip = address
        let outcome = handleFault(error, instructionAddress: address, nextAddress: next)
        let delivered = if case .delivered = outcome { true } else { false }
        if delivered { state.pointee.interruptionCount &+= 1 }
        observer.didRaise(self, exception: error, instructionAddress: address, delivered: delivered,
                          writes: writeLogView)
        clearAccessLogs()
        switch outcome {
        case .delivered: return nil
        case .stop(let reason): return reason
        }
    }

    /// Delivers an external interrupt acknowledged from the controller.
    func deliverExternalInterrupt<Observer: ExecutionObserver>(_ vector: UInt8,
                                                               observer: inout Observer) -> StopReason? {
        let address = state.pointee.eip
        // The log keeps the writes of a rep string stopped between iterations
        // for this interrupt: the observer sees them with the frame's.
        switch handleInterrupt(Int(vector), returnAddress: address) {
        case .delivered:
            state.pointee.interruptionCount &+= 1
            observer.didInterrupt(self, vector: Int(vector), interruptedAddress: address, writes: writeLogView)
            clearAccessLogs()
            return nil
        case .stop(let reason):
            clearAccessLogs()
            return reason
        }
    }

    /// Asks the run loop to stop at the next instruction boundary (safe from
    /// another thread or a signal handler: a debugger's Ctrl-C).
    public func requestStop() {
        let external = UnsafeMutableRawPointer(state) + Self.externalEventsOffset
        external.storeBytes(of: PendingEvents.stopRequest, as: UInt32.self)
    }

    /// Ends the run with `StopReason.reset` at the next instruction boundary
    /// (a platform's reset line; called on the run loop's thread).
    public func requestReset() {
        state.pointee.pendingEvents.external |= PendingEvents.resetRequest
    }

    private static let externalEventsOffset: Int = {
        guard let events = MemoryLayout<CPUState>.offset(of: \.pendingEvents),
              let external = MemoryLayout<PendingEvents>.offset(of: \.external) else { return 0 }
        return events + external
    }()

    /// Asserts or deasserts INTR (the interrupt controller's output).
    public func setInterruptRequest(_ asserted: Bool) {
        if asserted {
            state.pointee.pendingEvents.local |= PendingEvents.interruptRequest
        } else {
            state.pointee.pendingEvents.local &= ~PendingEvents.interruptRequest
        }
    }
}
