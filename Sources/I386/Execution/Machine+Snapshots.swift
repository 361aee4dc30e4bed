/// Snapshots of the CPU and its memory for reverse execution.
///
/// Memory is journaled, not copied: from the first snapshot on, the first
/// write to a frame after each snapshot saves that frame's 4 KB
/// (`MemoryJournal`), so a snapshot costs a copy of the CPU state and of the
/// frames written until the next one. Restoring a snapshot puts back those
/// frames and the CPU, drops the decoded code of the frames put back and
/// every TLB entry, and discards the snapshots taken after it. Devices keep
/// their own state: snapshot them alongside (`Snapshotting`).
extension Machine {
    /// Takes a snapshot: what `restore(_:)` returns to.
    public func snapshot() -> MachineSnapshot {
        let journal = physicalMemory.journal ?? MemoryJournal()
        physicalMemory.journal = journal
        let epoch = journal.beginEpoch()
        // The fast path writes only through TLB entries the slow path filled:
        // forgetting them makes the first write to each page journal its frame.
        tlb.flushWrites()
        return MachineSnapshot(cpu: state.pointee, epoch: epoch, deliveredEventCount: deliveredEvents.count)
    }

    /// Puts the CPU and memory back as they were when `snapshot` was taken;
    /// snapshots taken after it can no longer be restored. Throws when
    /// `snapshot` itself was discarded.
    public func restore(_ snapshot: MachineSnapshot) throws(SnapshotError) {
        guard let journal = physicalMemory.journal,
              let frames = journal.rewind(to: snapshot.epoch, frames: physicalMemory.frames) else {
            throw .discarded
        }
        for frame in Set(frames) where physicalMemory.isCode(frame) {
            physicalMemory.noteWrite(frame: frame, offset: 0, size: 4096)  // drops its decoded code
        }
        var cpu = snapshot.cpu
        cpu.pendingEvents.external = state.pointee.pendingEvents.external  // the host's requests stay
        restore(cpu)
        if deliveredEvents.count > snapshot.deliveredEventCount {
            deliveredEvents.removeLast(deliveredEvents.count - snapshot.deliveredEventCount)
        }
        taskSwitchResumeAddress = nil
        watchHits = 0
        debuggerWatchHit = nil
        caughtExceptionPosition = nil
        blockExit = .none
        refreshDeviceLimit()
    }

    /// Frees what only `snapshot` needed; it can no longer be restored
    /// (older and newer ones still can). The newest snapshot is kept.
    public func discard(_ snapshot: MachineSnapshot) {
        physicalMemory.journal?.drop(snapshot.epoch)
    }

    /// Bytes of memory the kept snapshots hold (frame copies).
    public var snapshotMemoryBytes: Int { physicalMemory.journal?.byteCount ?? 0 }
}

/// The CPU state and a mark in the memory journal (`Machine.snapshot()`).
public struct MachineSnapshot: Sendable {
    /// The CPU as it was.
    public let cpu: CPUState
    /// The journal epoch that began with this snapshot.
    let epoch: UInt64
    /// How many entries `Machine.deliveredEvents` had.
    let deliveredEventCount: Int

    /// Where execution stood.
    public var position: ExecutionPosition {
        ExecutionPosition(instructions: cpu.instructionCount, interruptions: cpu.interruptionCount)
    }
}

/// Why a snapshot could not be restored.
public enum SnapshotError: Error, Sendable, CustomStringConvertible {
    /// It was discarded (a restore of an older snapshot, or `discard`).
    case discarded

    public var description: String { "the snapshot was discarded" }
}
