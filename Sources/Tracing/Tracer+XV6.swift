import I386
import KernelModel

/// xv6's kernel events: `current` when `cpus[0].proc` changes, `switch` at
/// swtch's stack load, `tss-esp0` when `cpus[0].ts.esp0` is written, and the
/// events every kernel shares. Nothing is derived from the stack pointer.
///
/// The two words are watched through the instruction's memory writes; when the
/// trace leaves memory out (`--no-mem`, so the run logs no writes, which is
/// much faster through xv6's page-filling `rep stosl`), their values are
/// compared with the last ones instead, and an esp0 write of the same value goes unseen.
extension Tracer {
    /// The record's xv6 events, if it has any.
    func xv6Events(_ machine: Machine, changed: RegisterSet, writes: MemoryAccesses, info: StaticInfoCache.Entry) {
        if xv6MayHaveEvents(machine, changed: changed, writes: writes, info: info) {
            collectXV6Events(machine, writes: writes, info: info)
        }
    }

    /// False when nothing an xv6 event watches happened: the common case.
    @inline(__always)
    func xv6MayHaveEvents(_ machine: Machine, changed: RegisterSet, writes: MemoryAccesses,
                          info: StaticInfoCache.Entry) -> Bool {
        if !changed.isDisjoint(with: .segments) || !info.marks.isEmpty || progress.pointee.pendingEOICount != 0
            || !progress.pointee.processKnown {
            return true
        }
        guard observesMemoryWrites else { return watchedWordsChanged(machine) }
        return !writes.isEmpty && writesXV6Word(writes)
    }

    /// Without write logs: true when `cpus[0].proc` or `cpus[0].ts.esp0` differs from what was last seen.
    private func watchedWordsChanged(_ machine: Machine) -> Bool {
        Self.word(at: currentProcessAddress, machine) != progress.pointee.lastProcess
            || Self.word(at: taskStateESP0Address, machine) != progress.pointee.lastESP0
    }

    /// `machine.readWord(at:)` with one page walk for a word inside a page (it walks per byte).
    private static func word(at address: UInt32, _ machine: Machine) -> UInt32? {
        guard address & 0xFFF <= 0xFFC else { return machine.readWord(at: address) }
        guard let physical = machine.peekTranslation(address) else { return nil }
        let memory = machine.physicalMemory
        guard let byte0 = memory.peek(physical), let byte1 = memory.peek(physical &+ 1),
              let byte2 = memory.peek(physical &+ 2), let byte3 = memory.peek(physical &+ 3) else { return nil }
        return UInt32(byte0) | UInt32(byte1) << 8 | UInt32(byte2) << 16 | UInt32(byte3) << 24
    }

    /// True when one of `writes` touched `cpus[0].proc` or `cpus[0].ts.esp0`.
    @inline(__always)
    private func writesXV6Word(_ writes: MemoryAccesses) -> Bool {
        let current = currentProcessAddress, esp0 = taskStateESP0Address
        for index in 0..<writes.count {
            let write = writes[index]
            if Self.overlaps(write, word: current) || Self.overlaps(write, word: esp0) { return true }
        }
        return false
    }

    /// True when `write` changes a byte of the 4-byte word at `word`.
    @inline(__always)
    static func overlaps(_ write: MemoryWrite, word: UInt32) -> Bool {
        word &- write.address < UInt32(write.size) || write.address &- word < 4
    }

    @inline(never)
    func collectXV6Events(_ machine: Machine, writes: MemoryAccesses, info: StaticInfoCache.Entry) {
        guard let profile = xv6 else { return }
        collectCommonEvents(info: info)
        var writesCurrent = false, writesESP0 = false
        let esp0 = machine.readWord(at: profile.taskStateESP0Address)
        if observesMemoryWrites {
            for write in writes {
                writesCurrent = writesCurrent || Self.overlaps(write, word: profile.currentProcessAddress)
                writesESP0 = writesESP0 || Self.overlaps(write, word: profile.taskStateESP0Address)
            }
        } else {
            writesCurrent = machine.readWord(at: profile.currentProcessAddress) != progress.pointee.lastProcess
            writesESP0 = progress.pointee.processKnown && esp0 != progress.pointee.lastESP0
        }
        progress.pointee.lastESP0 = esp0
        if writesESP0, let esp0 { eventList.pointee.append(.tssESP0(value: esp0)) }
        if info.marks.contains(.stackSwitch) { eventList.pointee.append(switchEvent(machine, profile)) }
        if writesCurrent || !progress.pointee.processKnown {
            let proc = machine.readWord(at: profile.currentProcessAddress)
            // At the first record, say who is current if anyone is; after that, each change.
            let isFirst = !progress.pointee.processKnown
            if let proc, proc != progress.pointee.lastProcess, !isFirst || proc != 0 {
                eventList.pointee.append(currentEvent(proc, machine, profile))
            }
            progress.pointee.lastProcess = proc
            progress.pointee.processKnown = true
        }
        if info.isHalt { eventList.pointee.append(.halt) }
        if progress.pointee.pendingEOICount != 0 { takeEOIs() }
    }

    /// `current` for process `proc` (0: none).
    private func currentEvent(_ proc: UInt32, _ machine: Machine, _ profile: XV6Profile) -> TraceEvent {
        guard proc != 0, let process = process(at: proc, machine, profile) else {
            return .currentProcess(proc: 0, name: TaskName(""), pid: 0, state: 0, kernelStack: 0)
        }
        return .currentProcess(proc: proc, name: process.name, pid: process.pid, state: process.state,
                               kernelStack: process.kernelStack)
    }

    /// swtch's `mov %edx,%esp`: esp leaves the context just saved for the next one. A side
    /// whose context is `cpus[0].scheduler` is the scheduler; the other is `cpus[0].proc`.
    private func switchEvent(_ machine: Machine, _ profile: XV6Profile) -> TraceEvent {
        let scheduler = machine.readWord(at: profile.schedulerContextAddress)
        let proc = machine.readWord(at: profile.currentProcessAddress) ?? 0
        let processName = proc == 0 ? TaskName("?") : (process(at: proc, machine, profile)?.name ?? TaskName("?"))
        func owner(_ esp: UInt32) -> TaskName { esp == scheduler ? TaskName(XV6Profile.schedulerName) : processName }
        return .switchTask(prev: owner(beforeFile.pointee[.esp]), next: owner(afterFile.pointee[.esp]))
    }

    /// The fields of the `struct proc` at `proc`, if it can be read.
    func process(at proc: UInt32, _ machine: Machine, _ profile: XV6Profile)
        -> (name: TaskName, pid: UInt32, state: UInt32, kernelStack: UInt32)? {
        let layout = profile.process
        guard let pid = machine.readWord(at: proc &+ layout.pid),
              let state = machine.readWord(at: proc &+ layout.state),
              let kernelStack = machine.readWord(at: proc &+ layout.kernelStack),
              let bytes = try? machine.read(proc &+ layout.name, count: Int(min(layout.nameLength, 16)))
        else { return nil }
        var name = TaskName(bytes: (0, 0))
        withUnsafeMutableBytes(of: &name.bytes) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        return (name, pid, state, kernelStack)
    }
}
