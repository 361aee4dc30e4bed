/// A debugger's stop conditions, none of them visible to the guest:
/// breakpoints (blocks end before them, so no byte of guest memory changes),
/// watchpoints (accesses are checked in the slow path while any is armed),
/// and catchpoints (an exception stops the run before it is delivered).
extension Machine {
    /// Addresses (eip values) where a run stops before executing the
    /// instruction there, with `StopReason.breakpoint`. A run that starts on
    /// one runs that instruction first, so continuing or stepping from a
    /// breakpoint moves on. Changing the set drops the decoded code.
    public var breakpoints: Set<UInt32> {
        get { blocks.breakpoints }
        set { blocks.breakpoints = newValue }
    }

    /// Data watchpoints: a run stops after an instruction that accessed a
    /// watched byte (`StopReason.watchpoint`, with the bytes before and after).
    /// While any is set, the run executes one instruction at a time.
    public var watchpoints: [Watchpoint] {
        get { debuggerWatches }
        set { setDebuggerWatches(newValue) }
    }

    /// Exception vectors (0–31) that stop a run before the exception is
    /// delivered through the IDT: the run ends with `StopReason.exception`
    /// and eip at the faulting instruction; running on from there delivers
    /// it. #DB (1) is never caught (its traps cannot be raised again), nor
    /// are exceptions without an IDT (they stop the run anyway) or raised
    /// while a task switch completes.
    public var caughtVectors: Set<Int> {
        get { Set((0..<32).filter { caughtVectorMask & (1 << UInt32($0)) != 0 }) }
        set {
            caughtVectorMask = 0
            for vector in newValue where (0..<32).contains(vector) && vector != 1 {
                caughtVectorMask |= 1 << UInt32(vector)
            }
            caughtExceptionPosition = nil
        }
    }

    /// Where execution stands: instructions retired and interruptions delivered.
    public var position: ExecutionPosition {
        ExecutionPosition(instructions: state.pointee.instructionCount, interruptions: state.pointee.interruptionCount)
    }

    /// Withdraws a `requestStop()` the run loop has not acted on (call it
    /// between runs, on the run loop's thread, when no other thread can request one).
    public func cancelStopRequest() {
        state.pointee.pendingEvents.external &= ~PendingEvents.stopRequest
    }

    /// A run starts: on a breakpoint, its instruction runs rather than stopping again.
    func noteRunStart() {
        let eip = state.pointee.eip
        breakpointToPass = blocks.breakpoints.contains(eip) ? (eip, position) : nil
    }

    /// True when the stop at `address` is the breakpoint this run started on.
    func passesStop(at address: UInt32) -> Bool {
        guard let pass = breakpointToPass, pass.address == address, pass.position == position else { return false }
        breakpointToPass = nil
        return true
    }

    /// Runs the one instruction at a stop address, decoded outside the cache
    /// (the stop block stays for the next time execution gets there).
    @inline(never)
    func runPastStop<Observer: ExecutionObserver>(observer: inout Observer) -> StopReason? {
        let eip = state.pointee.eip
        let block: UnsafeMutablePointer<Block>
        do {
            block = try buildBlock(at: eip, passingStop: true)
        } catch {
            return raise(error, at: eip, next: eip, observer: &observer)
        }
        defer { blocks.releaseTransient(block) }
        return executeStepwise(block, budget: 1, observer: &observer)
    }

    /// A catchpoint stops the run before `error` is delivered, unless the
    /// run is resuming from that very stop (then it is delivered).
    func catchException(_ error: CPUException, at address: UInt32) -> StopReason? {
        let vector = error.vector
        guard vector >= 0, vector < 32, caughtVectorMask & (1 << UInt32(vector)) != 0,
              hasIDT, taskSwitchResumeAddress == nil else { return nil }
        if caughtExceptionPosition == position {
            caughtExceptionPosition = nil
            return nil
        }
        caughtExceptionPosition = position
        state.pointee.eip = address
        return .exception(error)
    }
}
