/// Debug traps: DR0–DR3 breakpoints enabled in DR7 (execute breakpoints are
/// faults, data and I/O breakpoints are traps) and single-stepping with TF. DR6
/// reports what fired. While any is armed, the run loop executes one
/// instruction at a time through `debugStep`.
extension Machine {
    /// DR6 bits.
    static let dr6Reserved: UInt32 = 0xFFFF_0FF0
    static let dr6SingleStep: UInt32 = 1 << 14

    /// Re-derives the breakpoints and memory watches from DR7 (after a debug-register write).
    func updateDebugArming() {
        let dr7 = debugRegisters[7]
        var newWatches: [Watch] = []
        var newIOWatches: [Watch] = []
        var executeArmed = false
        for index in 0..<4 where dr7 & (3 << (2 * UInt32(index))) != 0 {
            let kind = (dr7 >> (16 + 4 * UInt32(index))) & 3
            let lengthBits = (dr7 >> (18 + 4 * UInt32(index))) & 3
            let length: UInt32 = [1, 2, 8, 4][Int(lengthBits)]
            switch kind {
            case 0: executeArmed = true
            case 1, 3:
                let start = debugRegisters[index] & ~(length - 1)
                newWatches.append(Watch(start: start, length: length, index: index, writesOnly: kind == 1))
            default:
                // I/O breakpoints (R/W = 10) exist only with CR4.DE; the port is DRn's low 16 bits.
                guard state.pointee.cr4 & CR4.de != 0 else { break }
                let start = (debugRegisters[index] & 0xFFFF) & ~(length - 1)
                newIOWatches.append(Watch(start: start, length: length, index: index, writesOnly: false))
            }
        }
        setWatches(newWatches)
        ioWatches = newIOWatches
        breakpointsArmed = executeArmed || !newWatches.isEmpty || !newIOWatches.isEmpty
        refreshDebugTraps()
    }

    /// Keeps the pending-events word's debug bit in step with TF and DR7.
    func refreshDebugTraps() {
        if breakpointsArmed || state.pointee.flags.stored & EFLAGS.tf != 0 || !debuggerWatches.isEmpty {
            state.pointee.pendingEvents.local |= PendingEvents.debugTraps
        } else {
            state.pointee.pendingEvents.local &= ~PendingEvents.debugTraps
        }
    }

    /// The execute breakpoints matching `address` (bit n for DRn), ignoring RF.
    func executeBreakpointHits(at address: UInt32) -> UInt32 {
        let dr7 = debugRegisters[7]
        var hits: UInt32 = 0
        for index in 0..<4 where dr7 & (3 << (2 * UInt32(index))) != 0 {
            if (dr7 >> (16 + 4 * UInt32(index))) & 0xF == 0 && debugRegisters[index] == address {
                hits |= 1 << UInt32(index)
            }
        }
        return hits
    }

    /// One instruction with debug checks: an execute breakpoint faults before
    /// it (unless RF is set); data breakpoints and single-step trap after it;
    /// a debugger's watchpoint stops the run after it.
    func debugStep<Observer: ExecutionObserver>(observer: inout Observer) -> StopReason? {
        let address = state.pointee.eip
        if debuggerWatchHit != nil, let hit = takeWatchpointHit(instructionAddress: nil) {
            return .watchpoint(hit)  // an exception or interrupt delivery made the access
        }
        let resumeFlag = storedFlags & EFLAGS.rf != 0
        // RF suppresses this instruction's breakpoint only; it is cleared before
        // the instruction runs, so an iret that sets it keeps it for the next one.
        storedFlags &= ~EFLAGS.rf
        if !resumeFlag {
            let hits = executeBreakpointHits(at: address)
            if hits != 0 {
                debugRegisters[6] = (debugRegisters[6] & ~0xF) | hits | Self.dr6Reserved
                systemGeneration.pointee &+= 1
                return raise(.debug, at: address, next: address, observer: &observer)
            }
        }
        let singleStep = storedFlags & EFLAGS.tf != 0
        watchHits = 0
        let countBefore = state.pointee.instructionCount
        if let reason = runBlock(budget: 1, observer: &observer) { return reason }
        guard state.pointee.instructionCount != countBefore else { return nil }  // it faulted and was delivered
        let watchpointHit = debuggerWatchHit != nil ? takeWatchpointHit(instructionAddress: address) : nil
        var status: UInt32 = 0
        if singleStep { status |= Self.dr6SingleStep }
        status |= UInt32(watchHits)
        if state.pointee.pendingEvents.local & PendingEvents.taskSwitchTrap != 0 {
            // A task switch to a TSS with the T bit: the same #DB reports it.
            state.pointee.pendingEvents.local &= ~PendingEvents.taskSwitchTrap
            status |= Self.dr6TaskSwitch
        }
        guard status != 0 else { return watchpointHit.map { .watchpoint($0) } }
        debugRegisters[6] = (debugRegisters[6] & ~(0xF | Self.dr6SingleStep)) | status | Self.dr6Reserved
        systemGeneration.pointee &+= 1
        let eip = state.pointee.eip
        // The guest's own #DB goes first; the debugger's stop is at its handler.
        if let reason = raise(.debug, at: eip, next: eip, observer: &observer) { return reason }
        return watchpointHit.map { .watchpoint($0) }
    }

    /// The debugger watchpoint hit noted since the last instruction, now
    /// complete with the bytes after it (nil if the watchpoint went away).
    private func takeWatchpointHit(instructionAddress: UInt32?) -> WatchpointHit? {
        guard let noted = debuggerWatchHit else { return nil }
        debuggerWatchHit = nil
        guard noted.index < debuggerWatches.count else { return nil }
        let watch = debuggerWatches[noted.index]
        return WatchpointHit(watchpoint: watch, isWrite: noted.isWrite,
                             instructionAddress: instructionAddress ?? noted.address, positionBefore: noted.position,
                             oldBytes: noted.oldBytes, newBytes: peekBytes(watch.address, count: watch.length))
    }
}
