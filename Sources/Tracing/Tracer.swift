import Foundation
import I386
import Images
import KernelModel
import PC
import X86Decoding

/// Records a run instruction by instruction in one of the `TraceFormat`s:
/// each record has the step, eip with symbol+offset, bytes, disassembly, the
/// registers that changed, the memory written, and kernel events.
/// The tracer's per-instruction bookkeeping.
struct TracerProgress {
    var step = 0
    var records = 0
    var recordingThis = false
    /// True when `before` holds the registers as they are now (the last thing that ran was recorded).
    var beforeIsCurrent = false
    var started: Bool
    var isFirstRecord = true
    var wantsWillExecute = true
    /// The registers the instruction being recorded changed.
    var changedRegisters = RegisterSet()
    /// `Machine.systemRegistersGeneration` when the selectors, CRs and DRs
    /// were last copied, and how many more full copies are due: both files must hold them.
    var systemGeneration: UInt64 = .max
    var systemCopiesDue = 2
    /// `Machine.codeGeneration` when `infos` was last known to be current.
    var infosCodeGeneration: UInt64 = 0
    var lastThreadInfo: UInt32?
    var warnedThreadInfo: UInt32?
    /// How close the last warning was: 1 within 256 bytes, 2 within 64, 3 inside thread_info.
    var warnedLevel = 0
    /// TR when the tracer last looked, and what it was before a change not yet reported (`Tracer+TaskSwitch.swift`).
    var taskRegister: SegmentRegister?
    var taskSwitchedFrom: SegmentRegister?
    /// Linux 2.6: the IRQ stack (its thread_info) esp is on, if it is on one (`Tracer+Linux26Events.swift`).
    var irqStack: UInt32?
    /// Linux 2.6: the thread_union holding esp − 1 when `irqStack` was last updated.
    var stackBelowESP: UInt32?
    /// xv6: `cpus[0].proc` as last reported (nil while unreadable), and whether it was looked at yet.
    var lastProcess: UInt32?
    var processKnown = false
    /// xv6 without write logs: `cpus[0].ts.esp0` as last seen.
    var lastESP0: UInt32?
    /// EOIs software sent during the instruction being executed (in `Tracer.pendingEOIs`).
    var pendingEOICount = 0
    /// The record limit left out an instruction that would have been recorded.
    var missedRecords = false
    /// The thread_info of the last union `current` named (0: none yet): writes into it while
    /// esp is near or below it are `thread-info-clobbered` events.
    var watchedThreadInfo: UInt32 = 0

    init(started: Bool) { self.started = started }
}

public final class Tracer: ExecutionObserver {
    let configuration: TraceConfiguration
    let symbols: SymbolTable
    let sink: ByteSink
    let decoder: X86Decoder
    let infos = StaticInfoCache()
    /// The registers before and after the instruction being recorded. After
    /// a record they swap: its "after" is the next record's "before". Kept
    /// behind pointers: the per-instruction updates are then plain stores,
    /// with no exclusivity checks on the tracer's properties.
    var beforeFile: UnsafeMutablePointer<RegisterFile>
    var afterFile: UnsafeMutablePointer<RegisterFile>
    /// The kernel events of the record being written (behind a pointer for the same reason).
    let eventList: UnsafeMutablePointer<[TraceEvent]>
    var events: [TraceEvent] { eventList.pointee }
    /// Where the tracer is, updated every instruction (behind a pointer, like the register files).
    let progress: UnsafeMutablePointer<TracerProgress>
    // `progress`'s fields by name.
    var step: Int {
        get { progress.pointee.step }
        set { progress.pointee.step = newValue }
    }
    var records: Int {
        get { progress.pointee.records }
        set { progress.pointee.records = newValue }
    }
    var recordingThis: Bool {
        get { progress.pointee.recordingThis }
        set { progress.pointee.recordingThis = newValue }
    }
    var beforeIsCurrent: Bool {
        get { progress.pointee.beforeIsCurrent }
        set { progress.pointee.beforeIsCurrent = newValue }
    }
    var started: Bool {
        get { progress.pointee.started }
        set { progress.pointee.started = newValue }
    }
    var isFirstRecord: Bool {
        get { progress.pointee.isFirstRecord }
        set { progress.pointee.isFirstRecord = newValue }
    }
    var changedRegisters: RegisterSet {
        get { progress.pointee.changedRegisters }
        set { progress.pointee.changedRegisters = newValue }
    }
    var systemGeneration: UInt64 {
        get { progress.pointee.systemGeneration }
        set { progress.pointee.systemGeneration = newValue }
    }
    var systemCopiesDue: Int {
        get { progress.pointee.systemCopiesDue }
        set { progress.pointee.systemCopiesDue = newValue }
    }
    var infosCodeGeneration: UInt64 {
        get { progress.pointee.infosCodeGeneration }
        set { progress.pointee.infosCodeGeneration = newValue }
    }
    var lastThreadInfo: UInt32? {
        get { progress.pointee.lastThreadInfo }
        set { progress.pointee.lastThreadInfo = newValue }
    }
    var warnedThreadInfo: UInt32? {
        get { progress.pointee.warnedThreadInfo }
        set { progress.pointee.warnedThreadInfo = newValue }
    }
    var warnedLevel: Int {
        get { progress.pointee.warnedLevel }
        set { progress.pointee.warnedLevel = newValue }
    }
    /// `configuration.reportsStacks` with the Linux 2.6 profile (kept apart: one byte to test per record).
    let reportsStacks: Bool
    /// The deepest kernel esp seen per thread_info (`--stack-report`).
    var deepestStacks: [UInt32: (esp: UInt32, address: UInt32, step: Int)] = [:]
    /// The registers shown.
    let shownRegisters: RegisterSet
    /// `configuration.limit`, or Int.max.
    let recordLimit: Int
    /// `configuration.only` (every address without it) as its start and length.
    private let recordedStart: UInt32
    private let recordedLength: UInt64
    let threadMask: UInt32
    /// The kernel the events describe, and the names they print.
    let kernel: KernelProfile
    let vocabulary: EventVocabulary
    /// xv6's profile (nil for Linux 2.6), and the words whose writes are events:
    /// `cpus[0].proc` and `cpus[0].ts.esp0`.
    let xv6: XV6Profile?
    /// `xv6 != nil`, kept apart: the per-instruction test then loads a byte, not the optional profile.
    let tracesXV6: Bool
    let currentProcessAddress: UInt32
    let taskStateESP0Address: UInt32
    /// What marks an instruction for the kernel events (system-call vector, stack switch, traced functions).
    private let markRules: InstructionMarks.Rules
    /// Linux 2.6: the image's traced kernel functions by entry address, and
    /// the task_structs whose `state` writes are `task-state` events (`Tracer+Linux26Events.swift`).
    let tracedFunctions: [UInt32: Linux26.TracedFunction]
    let watchedTasks: WatchedTasks
    /// The PC whose interrupts the trace names (`observe(_:)`).
    private(set) var platform: PCPlatform?
    /// EOIs reported during the current instruction (`progress.pendingEOICount` of them).
    var pendingEOIs: [PCPlatform.EndOfInterrupt] = []
    /// Tenet: the previous line's registers (its deltas are against them).
    var tenetPrevious: RegisterFile?
    /// JSONL: records go through this pipe to a `JSONLFormatter`.
    let pipe: BlockPipe
    /// JSONL exception records, formatted here and queued as bytes.
    let scratch = ByteSink(scratchCapacity: 4096)

    /// Without them (`includeMemory` off), xv6's events compare `cpus[0].proc` and esp0 with their last values.
    public var observesMemoryWrites: Bool { configuration.includeMemory || configuration.format == .tenet }
    public var observesMemoryReads: Bool { configuration.format == .tenet && configuration.includeMemory }

    /// - Parameter sink: where records go (a file, or memory for diffs and golden traces).
    public init(configuration: TraceConfiguration, symbols: SymbolTable, sink: ByteSink) throws(DecoderSetupError) {
        self.configuration = configuration
        self.symbols = symbols
        self.sink = sink
        decoder = try X86Decoder(syntax: configuration.syntax)
        beforeFile = .allocate(capacity: 1)
        beforeFile.initialize(to: RegisterFile())
        afterFile = .allocate(capacity: 1)
        afterFile.initialize(to: RegisterFile())
        eventList = .allocate(capacity: 1)
        eventList.initialize(to: [])
        progress = .allocate(capacity: 1)
        progress.initialize(to: TracerProgress(started: configuration.from == nil))
        var shown = RegisterSet()
        for register in TraceRegisters.order where configuration.registers?.contains(register.name) ?? true {
            shown.insert(RegisterSet(register))
        }
        shownRegisters = shown
        if case .linux26 = configuration.kernel { reportsStacks = configuration.reportsStacks } else { reportsStacks = false }
        recordLimit = configuration.limit ?? .max
        recordedStart = configuration.only?.lowerBound ?? 0
        recordedLength = configuration.only.map { UInt64($0.count) } ?? 1 << 32
        kernel = configuration.kernel
        vocabulary = EventVocabulary(configuration.kernel, symbols: symbols)
        switch configuration.kernel {
        case .linux26(let profile):
            threadMask = profile.currentMask
            xv6 = nil
            tracesXV6 = false
            currentProcessAddress = 0
            taskStateESP0Address = 0
            tracedFunctions = Self.tracedFunctions(in: symbols)
            watchedTasks = WatchedTasks(symbols: symbols)
            markRules = InstructionMarks.Rules(systemCallVector: Linux26.systemCalls.vector, stackSwitch: nil,
                                               kernelFunctions: Set(tracedFunctions.keys))
        case .xv6(let profile):
            threadMask = Linux26.currentMask(threadSize: Linux26.threadSize)
            xv6 = profile
            tracesXV6 = true
            currentProcessAddress = profile.currentProcessAddress
            taskStateESP0Address = profile.taskStateESP0Address
            tracedFunctions = [:]
            watchedTasks = WatchedTasks(addresses: [])
            markRules = InstructionMarks.Rules(systemCallVector: profile.systemCalls.vector, stackSwitch: profile.stackSwitch)
        }
        let formatter = JSONLFormatter(sink: sink, vocabulary: vocabulary)
        pipe = BlockPipe(threaded: configuration.formatsConcurrently && ProcessInfo.processInfo.activeProcessorCount > 1) {
            formatter.format($0)
        }
    }

    /// A tracer for a loaded input: its symbols, and its PC's interrupt controllers when it has one.
    public convenience init(configuration: TraceConfiguration, image: LoadedImage, sink: ByteSink) throws(DecoderSetupError) {
        try self.init(configuration: configuration, symbols: image.symbols, sink: sink)
        if let platform = image.platform { observe(platform) }
    }

    /// Names interrupt sources after `platform`'s controllers and records the
    /// EOIs software sends to them (`eoi` events). Call before the run.
    public func observe(_ platform: PCPlatform) {
        self.platform = platform
        platform.endOfInterrupt = { [weak self] report in
            guard let self else { return }
            pendingEOIs.append(report)
            progress.pointee.pendingEOICount = pendingEOIs.count
        }
    }

    /// The first error writing the trace, if any.
    public var writeError: Error? { sink.writeError }

    deinit {
        pipe.close()
        beforeFile.deallocate()
        afterFile.deallocate()
        eventList.deinitialize(count: 1)
        eventList.deallocate()
        progress.deallocate()
    }

    /// Writes whatever is still buffered (waiting for the JSONL formatter to
    /// catch up). Call once after the run.
    public func finish() {
        pipe.close()
        sink.flush()
    }

    @inline(__always)
    func info(at address: UInt32, machine: Machine) -> StaticInfoCache.Entry {
        if machine.codeGeneration != infosCodeGeneration { forgetInfos(machine) }
        if let cached = infos.lookup(address) { return cached }
        return buildInfo(at: address, machine: machine)
    }

    /// Self-modifying code: what was disassembled may have changed.
    @inline(never)
    private func forgetInfos(_ machine: Machine) {
        // Queued JSONL records point into the arena: reuse it only once they are written.
        let reclaiming = configuration.format != .jsonl || infos.arenaBytes > StaticInfoCache.reclaimThreshold
        if reclaiming { pipe.drain() }
        infos.removeAll(reclaiming: reclaiming)
        infosCodeGeneration = machine.codeGeneration
    }

    @inline(never)
    private func buildInfo(at address: UInt32, machine: Machine) -> StaticInfoCache.Entry {
        let decoder = decoder
        let symbols = symbols
        let rules = markRules
        return infos.entry(for: address) {
            var bytes = (try? machine.read(address, count: 15)) ?? []
            if bytes.isEmpty {
                for offset in 0..<15 {
                    guard let byte = try? machine.read(address &+ UInt32(offset), count: 1) else { break }
                    bytes += byte
                }
            }
            return StaticInfo.make(address: address, bytes: bytes, decoder: decoder, symbols: symbols, textAddressWidth: 34,
                                   rules: rules)
        }
    }

    /// Only needed to start recording, to snapshot `before` after an
    /// unrecorded stretch, and for QEMU's before-the-instruction dumps.
    public var wantsWillExecute: Bool { progress.pointee.wantsWillExecute }

    public func willExecute(_ machine: Machine) {
        let address = machine.eip
        if !started {
            guard address == configuration.from else { return }
            started = true
        }
        recordingThis = records < recordLimit && isRecorded(address)
        guard recordingThis else { return }
        if !beforeIsCurrent {
            beforeFile.pointee = machine.registerFile
            rememberTaskRegister(machine)
        }
        if configuration.format == .qemu { writeQEMU(machine) }
        if configuration.format == .tenet && tenetPrevious == nil { writeTenetStart() }
    }

    public func didExecute(_ machine: Machine, instructionAddress: UInt32, writes: MemoryAccesses) {
        step += 1
        // willExecute was skipped: `before` is current, only the recording decision is left.
        if !wantsWillExecute { recordingThis = records < recordLimit && isRecorded(instructionAddress) }
        guard recordingThis else {
            if records >= recordLimit && started && isRecorded(instructionAddress) { progress.pointee.missedRecords = true }
            beforeIsCurrent = false
            progress.pointee.wantsWillExecute = true
            if progress.pointee.pendingEOICount != 0 { forgetEOIs() }  // an unrecorded instruction's
            return
        }
        recordingThis = false
        records += 1
        let changed = copyRegisters(machine)
        if reportsStacks && changed.contains(.esp) { noteStackDepth(instructionAddress) }
        changedRegisters = changed
        let info = info(at: instructionAddress, machine: machine)
        if !eventList.pointee.isEmpty { eventList.pointee.removeAll(keepingCapacity: true) }
        if tracesXV6 || mayHaveEvents(machine, changed: changed, writes: writes, info: info) {
            collectKernelEvents(machine, changed: changed, writes: writes, info: info)
        }
        switch configuration.format {
        case .text: writeText(address: instructionAddress, info: info, writes: writes)
        case .jsonl: recordJSON(info: info, writes: writes)
        case .tenet: writeTenet(writes: writes, reads: machine.readLogView)
        case .qemu: break
        }
        isFirstRecord = false
        if configuration.format != .jsonl { sink.flushIfFull() }
        swap(&beforeFile, &afterFile)
        beforeIsCurrent = true
        progress.pointee.wantsWillExecute = configuration.format == .qemu
    }

    public func didRaise(_ machine: Machine, exception: CPUException, instructionAddress: UInt32,
                                  delivered: Bool, writes: MemoryAccesses) {
        beforeIsCurrent = false  // delivery changed registers outside any record
        progress.pointee.wantsWillExecute = true
        let taskSwitch = taskSwitchInDelivery(machine)
        if progress.pointee.pendingEOICount != 0 { forgetEOIs() }
        guard started, records < recordLimit, isRecorded(instructionAddress) else { return }
        recordingThis = false
        switch configuration.format {
        case .text: writeExceptionText(machine, exception, at: instructionAddress, delivered: delivered, writes: writes,
                                       taskSwitch: taskSwitch)
        case .jsonl: recordExceptionJSON(machine, exception, at: instructionAddress, delivered: delivered, writes: writes,
                                         taskSwitch: taskSwitch)
        case .tenet, .qemu: break
        }
    }

    /// Fills `after` and returns which registers differ from `before`; the
    /// selectors, CRs and DRs only when they changed since both files got them.
    @inline(__always)
    func copyRegisters(_ machine: Machine) -> RegisterSet {
        let after = afterFile, before = beforeFile
        after.pointee.updateGeneral(from: machine)
        guard systemCopiesDue == 0 && machine.systemRegistersGeneration == systemGeneration else {
            copySystemRegisters(machine)
            return after.pointee.differences(from: before.pointee)
        }
        return after.pointee.generalDifferences(from: before.pointee)
    }

    @inline(never)
    private func copySystemRegisters(_ machine: Machine) {
        if machine.systemRegistersGeneration != systemGeneration {
            systemGeneration = machine.systemRegistersGeneration
            systemCopiesDue = 2
        }
        systemCopiesDue -= 1
        afterFile.pointee.updateSystem(from: machine)
        noteTaskRegister(machine)
    }

    @inline(__always)
    func isRecorded(_ address: UInt32) -> Bool { UInt64(address &- recordedStart) < recordedLength }

    // MARK: Kernel events

    /// False when nothing an event watches changed: the common case, checked inline.
    @inline(__always)
    private func mayHaveEvents(_ machine: Machine, changed: RegisterSet, writes: MemoryAccesses,
                               info: StaticInfoCache.Entry) -> Bool {
        let mask = threadMask
        let oldESP = beforeFile.pointee[.esp], newESP = afterFile.pointee[.esp]
        let quiet = changed.isDisjoint(with: .segments) && info.marks.isEmpty && progress.pointee.pendingEOICount == 0
            && oldESP & mask == newESP & mask && (oldESP &- 1) & mask == (newESP &- 1) & mask
            && (lastThreadInfo != nil || afterFile.pointee[.cs] & 3 == 3)
            && (newESP &- (newESP & mask) >= 256 + Linux26.ThreadInfo.size || newESP >= oldESP)
        return !quiet || progress.pointee.taskSwitchedFrom != nil
            || (!writes.isEmpty && (writesTSSESP0(machine, writes: writes) || watchedTasks.isWritten(by: writes)
                                    || writesWatchedThreadInfo(newESP, writes: writes)))
    }

    /// True when esp is near or below the watched thread_info and one of `writes` lands in it.
    @inline(__always)
    private func writesWatchedThreadInfo(_ esp: UInt32, writes: MemoryAccesses) -> Bool {
        let watched = progress.pointee.watchedThreadInfo
        guard watched != 0, esp &- watched &+ 0x1000 < 0x1000 &+ Self.clobberWatchDistance else { return false }
        for index in 0..<writes.count where writes[index].address &- watched < Linux26.ThreadInfo.size { return true }
        return false
    }

    /// How far above thread_info esp may be for a write into it to count as clobbering:
    /// thread_info itself and the 256 bytes the stack warnings watch (kernel code with a
    /// deeper stack writes its own thread_info's fields legitimately).
    static let clobberWatchDistance: UInt32 = Linux26.ThreadInfo.size + 256

    /// Linux 2.6's events (`mayHaveEvents` said there may be some), or xv6's.
    @inline(never)
    private func collectKernelEvents(_ machine: Machine, changed: RegisterSet, writes: MemoryAccesses,
                                     info: StaticInfoCache.Entry) {
        if tracesXV6 {
            xv6Events(machine, changed: changed, writes: writes, info: info)
        } else {
            collectEvents(machine, writes: writes, info: info)
        }
    }

    private func collectEvents(_ machine: Machine, writes: MemoryAccesses, info: StaticInfoCache.Entry) {
        let esp0 = writes.isEmpty ? nil : writtenESP0(machine, writes: writes)
        let mask = threadMask
        let oldESP = beforeFile.pointee[.esp], newESP = afterFile.pointee[.esp]
        let oldCPL = Int(beforeFile.pointee[.cs] & 3), newCPL = Int(afterFile.pointee[.cs] & 3)
        if let taskSwitch = takeTaskSwitch(machine) { eventList.pointee.append(taskSwitch) }
        collectCommonEvents(info: info)
        if info.marks.contains(.kernelFunction) { appendFunctionEvent(machine) }
        if !writes.isEmpty && watchedTasks.isWritten(by: writes) { appendTaskStateEvents(machine, writes: writes) }
        if let esp0 { eventList.pointee.append(.tssESP0(value: esp0)) }
        if newCPL == 3 {
            if lastThreadInfo != nil { eventList.pointee.append(.userMode(esp: newESP)) }
            lastThreadInfo = nil
        } else {
            let newInfo = newESP & mask
            if (newESP &- 1) & mask != progress.pointee.stackBelowESP { appendIRQStackEvent(machine, esp: newESP) }
            if newInfo != lastThreadInfo {
                let oldTask = task(at: oldESP & mask, machine)
                let nextTask = task(at: newInfo, machine)
                // A switch loads esp from the next task (switch_to's movl 484(%edx),%esp): a jump,
                // not the few bytes of a ret that leaves esp at the top of the stack.
                let jump = oldESP > newESP ? oldESP - newESP : newESP - oldESP
                var switchedFrom: (address: UInt32, comm: TaskName, pid: UInt32)? = nil
                if oldCPL == 0, lastThreadInfo != nil, jump > 64, let prev = oldTask, let next = nextTask,
                   prev.address != next.address {
                    switchedFrom = prev
                }
                // esp left the union it was in downward, by less than a union, without switching
                // to another task's stack: the stack overflowed.
                if switchedFrom == nil, let last = lastThreadInfo, newESP < last, oldESP >= last, last &- newESP <= ~mask,
                   irqStackTask(at: newInfo, machine) == nil,  // a move onto an IRQ stack below
                   task(at: last, machine) != nil || progress.pointee.watchedThreadInfo == last {
                    eventList.pointee.append(.stackOverflow(esp: newESP, threadInfo: last, below: last &- newESP))
                }
                if let next = nextTask {
                    progress.pointee.watchedThreadInfo = newInfo
                    if let prev = switchedFrom {
                        eventList.pointee.append(.switchTask(prev: prev.comm, next: next.comm))
                    }
                    eventList.pointee.append(.current(task: next.address, comm: next.comm, pid: next.pid, threadInfo: newInfo))
                } else if oldCPL == 0 || lastThreadInfo != nil, newESP & ~mask != 0, irqStackTask(at: newInfo, machine) == nil {
                    // Not for an esp exactly at a union's top (loaded there before the first push;
                    // no code runs `current` on an empty stack), nor on an IRQ stack, whose
                    // thread_info names the interrupted task (current is right; irq-stack says so).
                    let (task, problem) = currentProblem(at: newInfo, machine)
                    eventList.pointee.append(.badCurrent(threadInfo: newInfo, task: task, problem: problem))
                }
                lastThreadInfo = newInfo
            }
            let distance = Int(newESP &- newInfo) - Int(Linux26.ThreadInfo.size)
            // Warn as the stack grows down toward thread_info: within 256 bytes, within 64,
            // inside it (not for an esp exactly at a union's top, which belongs to the next union).
            let level = distance < 0 ? 3 : (distance < 64 ? 2 : (distance < 256 ? 1 : 0))
            if warnedThreadInfo != newInfo { warnedLevel = 0 }
            if level > warnedLevel, newESP < oldESP, task(at: newInfo, machine) != nil {
                eventList.pointee.append(.stackWarning(esp: newESP, threadInfo: newInfo, distance: distance))
                progress.pointee.watchedThreadInfo = newInfo
                warnedThreadInfo = newInfo
                warnedLevel = level
            } else if level == 0 && warnedThreadInfo == newInfo {
                warnedLevel = 0
            }
        }
        if !writes.isEmpty && writesWatchedThreadInfo(newESP, writes: writes) {
            let watched = progress.pointee.watchedThreadInfo
            for index in 0..<writes.count where writes[index].address &- watched < Linux26.ThreadInfo.size {
                let write = writes[index]
                let old = UInt32(truncatingIfNeeded: write.oldValue), new = UInt32(truncatingIfNeeded: write.newValue)
                if old != new {
                    eventList.pointee.append(.threadInfoClobbered(threadInfo: watched, offset: write.address &- watched,
                                                                  old: old, new: new))
                }
            }
        }
        if info.isHalt { eventList.pointee.append(.halt) }
        if progress.pointee.pendingEOICount != 0 { takeEOIs() }
    }

    /// The events every kernel shares, first in a record: the system call, the
    /// privilege change, the segment loads.
    @inline(__always)
    func collectCommonEvents(info: StaticInfoCache.Entry) {
        if info.marks.contains(.systemCall) { eventList.pointee.append(.systemCall(number: beforeFile.pointee[.eax])) }
        let oldCPL = Int(beforeFile.pointee[.cs] & 3), newCPL = Int(afterFile.pointee[.cs] & 3)
        if oldCPL != newCPL { eventList.pointee.append(.privilege(from: oldCPL, to: newCPL)) }
        for segment in SegmentName.allCases {
            let register = Register(segment)
            if beforeFile.pointee[register] != afterFile.pointee[register] {
                eventList.pointee.append(.segmentLoad(segment: segment.rawValue, selector: afterFile.pointee[register]))
            }
        }
    }

    /// Moves the EOIs of the instruction just recorded into its events.
    func takeEOIs() {
        for report in pendingEOIs { eventList.pointee.append(.endOfInterrupt(report)) }
        forgetEOIs()
    }

    @inline(never)
    func forgetEOIs() {
        pendingEOIs.removeAll(keepingCapacity: true)
        progress.pointee.pendingEOICount = 0
    }

    /// True when one of `writes` touched the current TSS's esp0 (checked inline for every record with writes).
    @inline(__always)
    private func writesTSSESP0(_ machine: Machine, writes: MemoryAccesses) -> Bool {
        let taskSegment = machine.taskRegister
        let esp0 = taskSegment.base &+ 4
        for index in 0..<writes.count {
            let write = writes[index]
            // esp0 − address < size: the write covers esp0's first byte.
            if esp0 &- write.address < UInt32(write.size) { return taskSegment.attributes & 0x80 != 0 }
        }
        return false
    }

    /// The current TSS's esp0, if one of `writes` touched it.
    private func writtenESP0(_ machine: Machine, writes: MemoryAccesses) -> UInt32? {
        guard writesTSSESP0(machine, writes: writes) else { return nil }
        return machine.readWord(at: machine.taskRegister.base &+ 4)
    }

    /// Why `task(at:)` found no task at `threadInfo`.
    func currentProblem(at threadInfo: UInt32, _ machine: Machine) -> (task: UInt32, problem: CurrentProblem) {
        guard let task = machine.readWord(at: threadInfo) else { return (0, .unmappedThreadInfo) }
        if task == 0 { return (0, .nullTask) }
        guard machine.readWord(at: task &+ Linux26.TaskStruct.threadInfo) != nil,
              machine.readWord(at: task &+ Linux26.TaskStruct.comm &+ 12) != nil else { return (task, .unmappedTask) }
        return (task, .notATask)
    }

    /// The task a thread_info names, if it looks like one (its task_struct's thread_info points back).
    func task(at threadInfo: UInt32, _ machine: Machine) -> (address: UInt32, comm: TaskName, pid: UInt32)? {
        guard let task = machine.readWord(at: threadInfo), task != 0,
              let back = machine.readWord(at: task &+ Linux26.TaskStruct.threadInfo),
              back == threadInfo || back == 0,
              let pid = machine.readWord(at: task &+ Linux26.TaskStruct.pid)
        else { return nil }
        // comm (16 bytes, Linux26.TaskStruct.commLength) as four words: no array, no string.
        var name = TaskName(bytes: (0, 0))
        for index in 0..<4 {
            guard let word = machine.readWord(at: task &+ Linux26.TaskStruct.comm &+ UInt32(4 * index)) else { return nil }
            withUnsafeMutableBytes(of: &name.bytes) { $0.storeBytes(of: word.littleEndian, toByteOffset: 4 * index, as: UInt32.self) }
        }
        return (task, name, pid)
    }
}
