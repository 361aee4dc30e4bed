import I386

/// Reverse execution by checkpoints and deterministic re-execution.
///
/// A checkpoint is a `MachineSnapshot` (CPU state and a mark in the memory
/// journal) plus the state of every other participant (a PC's devices and
/// clock, a console). Going forward, one is taken every `interval`
/// instructions. Going back to a position restores the latest checkpoint
/// before it and runs forward again: device time follows the instruction
/// count, so the same instructions, interrupts and device events happen at
/// the same positions. Stepping back also leaves checkpoints every
/// `denseInterval` instructions on the way, so the next step back re-runs
/// little. When the journal outgrows `memoryLimit`, the oldest checkpoints
/// go and the history's beginning moves forward.
public final class ExecutionHistory {
    /// How often to take checkpoints, and how much memory they may hold.
    public struct Configuration: Sendable {
        /// Instructions between checkpoints while running forward.
        public var interval: UInt64 = 1_000_000
        /// Instructions between the checkpoints a step back leaves behind it.
        public var denseInterval: UInt64 = 20_000
        /// Bytes of journaled memory kept before old checkpoints are dropped.
        public var memoryLimit: Int = 512 << 20

        public init() {}
    }

    /// What a reverse operation did.
    public enum ReverseOutcome: Equatable, Sendable {
        /// Stopped at an earlier position; for a reverse continue, the breakpoint or watchpoint that stopped it.
        case stopped(StopReason?)
        /// Reached the beginning of the recorded history (nothing earlier to go to).
        case beginning
        /// A stop request (Ctrl-C) ended it early, somewhere in the past.
        case interrupted
    }

    private struct Checkpoint {
        let snapshot: MachineSnapshot
        let restorers: [() -> Void]
        var position: ExecutionPosition { snapshot.position }
    }

    public let machine: Machine
    public let configuration: Configuration
    private let participants: [() -> () -> Void]
    private var checkpoints: [Checkpoint] = []
    /// The furthest position execution has reached.
    public private(set) var highWater: ExecutionPosition

    /// Starts the history at the machine's current position. Each participant
    /// captures its state and returns the closure that puts it back.
    public init(machine: Machine, participants: [() -> () -> Void], configuration: Configuration = Configuration()) {
        self.machine = machine
        self.participants = participants
        self.configuration = configuration
        highWater = machine.position
        checkpoint(force: true)
    }

    /// The earliest position the history can go back to.
    public var beginning: ExecutionPosition { checkpoints.first?.position ?? machine.position }

    /// How many checkpoints are kept.
    public var checkpointCount: Int { checkpoints.count }

    /// True while execution re-runs instructions it ran before (output then is not new).
    public var isReplaying: Bool { machine.position < highWater }

    /// Takes a checkpoint at the current position: when due, or always with
    /// `force` (after a debugger changed registers or memory, so that
    /// re-execution from here includes the change).
    public func checkpoint(force: Bool = false) {
        let position = machine.position
        if !force, let last = checkpoints.last, position.instructions < last.position.instructions &+ configuration.interval {
            return
        }
        if !force, let last = checkpoints.last, last.position == position { return }
        let snapshot = machine.snapshot()
        checkpoints.append(Checkpoint(snapshot: snapshot, restorers: participants.map { $0() }))
        trimToMemoryLimit()
    }

    private func trimToMemoryLimit() {
        while machine.snapshotMemoryBytes > configuration.memoryLimit && checkpoints.count > 2 {
            machine.discard(checkpoints.removeFirst().snapshot)
        }
    }

    /// Notes how far execution got (after every forward run).
    public func noteProgress() {
        if machine.position > highWater { highWater = machine.position }
    }

    // MARK: Forward

    /// Runs forward until a stop, taking checkpoints on the way; `limit`
    /// bounds the instructions run (nil: none).
    public func run<Observer: ExecutionObserver>(limit: UInt64?, until: UInt32?, observer: inout Observer) -> StopReason {
        let start = machine.instructionCount
        defer { noteProgress() }
        while true {
            let sinceCheckpoint = machine.instructionCount &- (checkpoints.last?.position.instructions ?? 0)
            var chunk = configuration.interval > sinceCheckpoint ? configuration.interval - sinceCheckpoint : 1
            if let limit {
                let done = machine.instructionCount &- start
                guard done < limit else { return .stepLimit }
                chunk = min(chunk, limit - done)
            }
            // Untraced, the non-generic run: I386 specializes it; the generic one called from
            // this module runs the unspecialized loop (3 % more host instructions per instruction).
            let reason = Observer.self == NoObserver.self
                ? machine.run(maxSteps: Int(clamping: chunk), until: until)
                : machine.run(maxSteps: Int(clamping: chunk), until: until, observer: &observer)
            checkpoint()
            if reason != .stepLimit { return reason }
        }
    }

    /// One step forward: an instruction, or the delivery of an exception or
    /// interrupt (which stops at its handler's first instruction).
    public func step<Observer: ExecutionObserver>(observer: inout Observer) -> StopReason? {
        defer { noteProgress() }
        let reason = unitStep(observer: &observer)
        checkpoint()
        return reason
    }

    /// A step as `step` takes it; nil when it ended normally.
    private func unitStep<Observer: ExecutionObserver>(observer: inout Observer) -> StopReason? {
        let before = machine.position
        var stepping = SteppingObserver(inner: observer)
        let reason = machine.run(maxSteps: 1, until: nil, observer: &stepping)
        observer = stepping.inner
        // A delivery that came with the instruction (its debug trap) leaves the request unread.
        if stepping.requestedStop && reason != .stopRequested { machine.cancelStopRequest() }
        switch reason {
        case .stepLimit: return nil
        case .stopRequested where stepping.requestedStop: return nil
        case .breakpoint where machine.position != before: return nil  // stopped after the step, on a breakpoint
        default: return reason
        }
    }

    private func unitStep() -> StopReason? {
        var none = NoObserver()
        return unitStep(observer: &none)
    }

    // MARK: Backward

    /// Goes back one step: to the last position before the current one.
    public func stepBack() -> ReverseOutcome {
        let target = machine.position
        guard let index = checkpoints.lastIndex(where: { $0.position < target }) else {
            return .beginning
        }
        return withoutDataStops { () -> ReverseOutcome in
            restore(index)
            // Close in: every position with one instruction fewer than the target comes before it.
            let closer = target.instructions > 0 ? target.instructions - 1 : 0
            if machine.instructionCount < closer {
                guard advance(toInstructions: closer, dense: true) else { return .interrupted }
                checkpoint(force: machine.position != checkpoints.last?.position)
            }
            guard let base = checkpoints.indices.last else { return .interrupted }
            // The positions from here up to the target; the last one before it is where to stop.
            var previous = machine.position
            while true {
                if let reason = unitStep(), reason == .stopRequested { return .interrupted }
                let now = machine.position
                if now >= target || now == previous { break }
                previous = now
            }
            restore(base)
            return advance(to: previous) ? .stopped(nil) : .interrupted
        }
    }

    /// Goes back to the last position before the current one where running
    /// forward would have stopped at a breakpoint, or just before an
    /// instruction that triggered a watchpoint; or to the beginning.
    public func continueBack() -> ReverseOutcome {
        var upper = machine.position
        let watchpoints = machine.watchpoints
        let caught = machine.caughtVectors
        machine.caughtVectors = []
        defer {
            machine.watchpoints = watchpoints
            machine.caughtVectors = caught
        }
        while let index = checkpoints.lastIndex(where: { $0.position < upper }) {
            restore(index)
            let start = machine.position
            var lastHit: (position: ExecutionPosition, reason: StopReason)?
            if machine.breakpoints.contains(machine.eip) { lastHit = (start, .breakpoint(machine.eip)) }
            machine.watchpoints = watchpoints
            var previous = start
            while machine.position < upper {
                let remaining = upper.instructions &- machine.instructionCount
                let reason: StopReason? = remaining > 0
                    ? machine.run(maxSteps: Int(clamping: remaining), until: nil) : unitStep()
                if reason == .stopRequested && remaining > 0 { return .interrupted }
                let now = machine.position
                if case .watchpoint(let hit) = reason, hit.positionBefore < upper {
                    lastHit = (hit.positionBefore, .watchpoint(hit))
                } else if now < upper, machine.breakpoints.contains(machine.eip) {
                    lastHit = (now, .breakpoint(machine.eip))
                }
                if now == previous { break }  // stuck (it cannot get further than it did before)
                previous = now
            }
            machine.watchpoints = []
            if let hit = lastHit {
                restore(index)
                return advance(to: hit.position) ? .stopped(hit.reason) : .interrupted
            }
            upper = start
        }
        restore(0)
        return .beginning
    }

    /// Restores checkpoint `index` (the first one if there is no such) and drops the later ones.
    private func restore(_ index: Int) {
        guard checkpoints.indices.contains(index) else { return }
        let checkpoint = checkpoints[index]
        do {
            try machine.restore(checkpoint.snapshot)
        } catch {
            return  // kept checkpoints are never discarded; nothing to do if one were
        }
        for restorer in checkpoint.restorers { restorer() }
        checkpoints.removeSubrange((index + 1)...)
    }

    /// Runs `body` with watchpoints and catchpoints off (re-execution must
    /// not stop for them); breakpoints stay: a run passes the one it starts on.
    private func withoutDataStops<T>(_ body: () -> T) -> T {
        let watchpoints = machine.watchpoints
        let caught = machine.caughtVectors
        machine.watchpoints = []
        machine.caughtVectors = []
        defer {
            machine.watchpoints = watchpoints
            machine.caughtVectors = caught
        }
        return body()
    }

    /// Runs forward to exactly `target`, a position the history went through.
    private func advance(to target: ExecutionPosition) -> Bool {
        withoutDataStops {
            guard advance(toInstructions: target.instructions, dense: false) else { return false }
            var previous = machine.position
            while machine.position < target {
                if unitStep() == .stopRequested { return false }
                if machine.position == previous { return false }
                previous = machine.position
            }
            return true
        }
    }

    /// Runs forward until `count` instructions have retired (stopping before
    /// any interruption due then), taking checkpoints (dense ones, when asked).
    private func advance(toInstructions count: UInt64, dense: Bool) -> Bool {
        let spacing = dense ? configuration.denseInterval : configuration.interval
        var previous = machine.position
        while machine.instructionCount < count {
            let sinceCheckpoint = machine.instructionCount &- (checkpoints.last?.position.instructions ?? 0)
            let untilCheckpoint = spacing > sinceCheckpoint ? spacing - sinceCheckpoint : 1
            let chunk = min(count - machine.instructionCount, untilCheckpoint)
            let reason = machine.run(maxSteps: Int(clamping: chunk), until: nil)
            if reason == .stopRequested { return false }
            if machine.position == previous { return false }
            previous = machine.position
            if machine.instructionCount &- (checkpoints.last?.position.instructions ?? 0) >= spacing {
                checkpoint(force: true)
            }
        }
        return true
    }
}

/// Forwards everything to `inner`, and ends the run (a stop request) once
/// an exception or interrupt was delivered: a debugger's step stops at the handler.
struct SteppingObserver<Inner: ExecutionObserver>: ExecutionObserver {
    var inner: Inner
    var requestedStop = false

    var observesMemoryWrites: Bool { inner.observesMemoryWrites }
    var observesMemoryReads: Bool { inner.observesMemoryReads }
    var wantsWillExecute: Bool { Inner.isActive && inner.wantsWillExecute }

    mutating func willExecute(_ machine: Machine) {
        if Inner.isActive { inner.willExecute(machine) }
    }

    mutating func didExecute(_ machine: Machine, instructionAddress: UInt32, writes: MemoryAccesses) {
        if Inner.isActive { inner.didExecute(machine, instructionAddress: instructionAddress, writes: writes) }
    }

    mutating func didRaise(_ machine: Machine, exception: CPUException, instructionAddress: UInt32,
                           delivered: Bool, writes: MemoryAccesses) {
        if Inner.isActive {
            inner.didRaise(machine, exception: exception, instructionAddress: instructionAddress, delivered: delivered,
                           writes: writes)
        }
        if delivered {
            requestedStop = true
            machine.requestStop()
        }
    }

    mutating func didInterrupt(_ machine: Machine, vector: Int, interruptedAddress: UInt32, writes: MemoryAccesses) {
        if Inner.isActive {
            inner.didInterrupt(machine, vector: vector, interruptedAddress: interruptedAddress, writes: writes)
        }
        requestedStop = true
        machine.requestStop()
    }
}
