import Images
import KernelModel
import PC

/// Why a thread_info names no task (`TraceEvent.badCurrent`).
enum CurrentProblem: UInt8 {
    case unmappedThreadInfo, nullTask, unmappedTask, notATask

    var name: StaticString {
        switch self {
        case .unmappedThreadInfo: "unmapped-thread-info"
        case .nullTask: "null-task"
        case .unmappedTask: "unmapped-task"
        case .notATask: "not-a-task"
        }
    }
}

/// Something a trace record notes besides register and memory changes. A
/// plain value (no strings): events are collected in the run loop and copied
/// into JSONL records as bytes; names (system calls, process states) are
/// looked up in an `EventVocabulary` when the record is formatted.
enum TraceEvent {
    /// Linux 2.6: `current` now names this task (esp moved to another thread_union).
    case current(task: UInt32, comm: TaskName, pid: UInt32, threadInfo: UInt32)
    /// xv6: `cpus[0].proc` now names this process (`proc` 0: none, the scheduler runs).
    case currentProcess(proc: UInt32, name: TaskName, pid: UInt32, state: UInt32, kernelStack: UInt32)
    /// The stack switch of a context switch (Linux: switch_to's stack load; xv6: swtch's `mov %edx,%esp`).
    case switchTask(prev: TaskName, next: TaskName)
    /// esp is within `distance` bytes above thread_info, or inside it.
    case stackWarning(esp: UInt32, threadInfo: UInt32, distance: Int)
    /// esp left its thread_union downward (`below` bytes under the union's start):
    /// the stack overflowed into whatever lies beneath.
    case stackOverflow(esp: UInt32, threadInfo: UInt32, below: UInt32)
    /// A write landed in the thread_info of the union esp overflowed (or is about to):
    /// the field at `offset`, its old and new value.
    case threadInfoClobbered(threadInfo: UInt32, offset: UInt32, old: UInt32, new: UInt32)
    /// Linux 2.6: esp moved to a union whose thread_info names no task (`CurrentProblem`).
    case badCurrent(threadInfo: UInt32, task: UInt32, problem: CurrentProblem)
    /// The privilege level changed.
    case privilege(from: Int, to: Int)
    /// A segment register was loaded (`segment`: its `SegmentName` raw value).
    case segmentLoad(segment: Int, selector: UInt32)
    /// The current TSS's esp0 was written.
    case tssESP0(value: UInt32)
    /// TR changed other than by ltr: a hardware task switch, from the TSS
    /// `from` (selector, base) to `to`.
    case taskSwitch(from: UInt16, fromBase: UInt32, to: UInt16, toBase: UInt32)
    /// hlt.
    case halt
    /// In ring 3: `current` does not apply to a user stack.
    case userMode(esp: UInt32)
    /// A system call: the kernel's `int` vector with this number in eax.
    case systemCall(number: UInt32)
    /// An external interrupt was delivered.
    case interrupt(InterruptDelivery)
    /// Software sent an end-of-interrupt to a controller.
    case endOfInterrupt(PCPlatform.EndOfInterrupt)
    /// Linux 2.6: a task's wait-queue entry was added or removed (`queue`: the
    /// wait_queue_head_t), or wake_up called its `func` (`queue` 0: not known there).
    case waitQueue(action: WaitQueueAction, queue: UInt32, task: UInt32, comm: TaskName, pid: UInt32, exclusive: Bool)
    /// Linux 2.6: a write changed `task->state` from `old` to `new`.
    case taskState(task: UInt32, comm: TaskName, pid: UInt32, old: UInt32, new: UInt32)
    /// Linux 2.6 (CONFIG_4KSTACKS): esp moved between thread_unions and one of
    /// them is an IRQ stack (a thread_info whose task's own thread_info is
    /// elsewhere); `previousESP` is the IRQ stack's previous_esp when `to` is one, else 0.
    /// (`comm` first: the payload then packs into the 40-byte stride every event shares.)
    case irqStack(comm: TaskName, from: UInt32, to: UInt32, esp: UInt32, pid: UInt32, previousESP: UInt32, toIRQ: Bool)
    /// Linux 2.6: copy-on-write. `fault`: do_wp_page for a write to `address`
    /// whose page-table entry is `pte` (read-only, frame `pte & ~0xfff`);
    /// `copy`: copy_cow_page copying frame `from` to `to` for `address`. A
    /// fault with no copy after it gave write access back without copying.
    case cow(action: COWAction, address: UInt32, pte: UInt32, from: UInt32, to: UInt32)
    /// Linux 2.6: a timer_list was added, deleted, or expired (run_timer_list calls its function).
    case timer(action: TimerAction, timer: UInt32, expires: UInt32, function: UInt32, data: UInt32)

    /// Most bytes an event's JSON takes (`writeJSON` reserves it).
    func maxJSONLength(_ vocabulary: EventVocabulary) -> Int {
        switch self {
        case .currentProcess(let proc, _, _, let state, _) where proc != 0:
            200 + 16 * 6 + 6 * (vocabulary.stateName(state)?.utf8.count ?? 0)
        case .systemCall(let number): 100 + 6 * (vocabulary.systemCalls.name(of: number)?.utf8.count ?? 0)
        case .timer(_, _, _, let function, _): 300 + 6 * (vocabulary.functionName(function)?.utf8.count ?? 0)
        case .irqStack: 300 + 16 * 6
        default: 200 + 2 * 16 * 6
        }
    }

    private static let segmentNames = ["es", "cs", "ss", "ds", "fs", "gs"]

    /// Linux 2.6's thread_info field at `offset` (`Linux26.ThreadInfo`).
    static func threadInfoField(_ offset: UInt32) -> StaticString {
        switch offset {
        case 0..<4: "task"
        case 4..<8: "exec_domain"
        case 8..<12: "flags"
        case 12..<16: "status"
        case 16..<20: "cpu"
        case 20..<24: "preempt_count"
        case 24..<28: "addr_limit"
        case 28..<48: "restart_block"
        default: "previous_esp"
        }
    }

    /// The segment register's name, for `segmentLoad`.
    static func segmentName(_ segment: Int) -> String {
        segmentNames.indices.contains(segment) ? segmentNames[segment] : "?"
    }

    var kind: StaticString {
        switch self {
        case .current, .currentProcess: "current"
        case .switchTask: "switch"
        case .stackWarning: "stack-warning"
        case .stackOverflow: "stack-overflow"
        case .badCurrent: "bad-current"
        case .threadInfoClobbered: "thread-info-clobbered"
        case .privilege: "privilege"
        case .segmentLoad: "segment-load"
        case .tssESP0: "tss-esp0"
        case .taskSwitch: "task-switch"
        case .halt: "hlt"
        case .userMode: "user-mode"
        case .systemCall: "syscall"
        case .interrupt: "irq"
        case .endOfInterrupt: "eoi"
        case .waitQueue: "wait-queue"
        case .taskState: "task-state"
        case .timer: "timer"
        case .irqStack: "irq-stack"
        case .cow: "cow"
        }
    }

    /// The text trace's line for the event (after `-- `); `label` names an address (`<symbol+0x4>`).
    func text(_ vocabulary: EventVocabulary, label: (UInt32) -> String? = { _ in nil }) -> String {
        switch self {
        case .current(let task, let comm, let pid, let threadInfo):
            return "current: \(comm.string) (pid \(pid)), task \(hex8(task)), thread_info \(hex8(threadInfo))"
        case .currentProcess(let proc, let name, let pid, let state, let kernelStack):
            guard proc != 0 else { return "current: no process (cpus[0].proc = 0: the scheduler)" }
            return "current: \(name.string) (pid \(pid)), proc \(hex8(proc)), kstack \(hex8(kernelStack)), "
                + (vocabulary.stateName(state) ?? "state \(state)")
        case .switchTask(let prev, let next):
            return "switch: \(prev.string) -> \(next.string) (esp moves to \(next.string)'s stack)"
        case .stackWarning(let esp, let threadInfo, let distance):
            return distance < 0 ? "stack overflow: esp \(hex8(esp)) is inside thread_info at \(hex8(threadInfo))"
                                : "stack warning: esp \(hex8(esp)) is \(distance) bytes above thread_info at \(hex8(threadInfo))"
        case .stackOverflow(let esp, let threadInfo, let below):
            return "stack overflow: esp \(hex8(esp)) left the thread_union at \(hex8(threadInfo)), \(below) bytes below it"
        case .threadInfoClobbered(let threadInfo, let offset, let old, let new):
            return "thread_info clobbered: \(Self.threadInfoField(offset)) of the thread_info at \(hex8(threadInfo)) "
                + "\(hex8(old)) -> \(hex8(new))"
        case .badCurrent(let threadInfo, let task, let problem):
            switch problem {
            case .unmappedThreadInfo: return "bad current: thread_info \(hex8(threadInfo)) is not mapped"
            case .nullTask: return "bad current: thread_info \(hex8(threadInfo)) has task NULL"
            case .unmappedTask: return "bad current: thread_info \(hex8(threadInfo)) names task \(hex8(task)), which is not mapped"
            case .notATask:
                return "bad current: thread_info \(hex8(threadInfo)) names \(hex8(task)), whose thread_info field does not point back"
            }
        case .privilege(let from, let to): return "privilege: CPL \(from) -> \(to)"
        case .segmentLoad(let segment, let selector): return "segment load: \(Self.segmentName(segment)) = \(hex4(selector))"
        case .tssESP0(let value): return "tss.esp0 = \(hex8(value))"
        case .taskSwitch(let from, let fromBase, let to, let toBase):
            return "task switch: TSS \(hex4(UInt32(from))) (base \(hex8(fromBase))) -> \(hex4(UInt32(to))) (base \(hex8(toBase)))"
        case .halt: return "hlt"
        case .userMode(let esp): return "ring 3: esp \(hex8(esp)) is a user stack"
        case .systemCall(let number):
            return "syscall \(number) (\(vocabulary.systemCalls.name(of: number) ?? "unknown"))"
        case .interrupt(let delivery):
            var text = "irq: vector \(delivery.vector) (\(delivery.source.description)), interrupted \(hex8(delivery.interrupted))"
            if let place = label(delivery.interrupted) { text += " \(place)" }
            text += " in ring \(delivery.cpl), "
            text += delivery.hasProcess ? "\(delivery.process.string) (pid \(delivery.pid))" : "no process"
            return text
        case .endOfInterrupt(let report):
            let controller = switch report.controller {
            case .localAPIC: "local APIC"
            case .masterPIC: "8259 master"
            case .slavePIC: "8259 slave"
            }
            guard let vector = report.vector else { return "eoi: \(controller), nothing in service" }
            return "eoi: \(controller), vector \(vector)" + (report.line.map { " (IRQ \($0))" } ?? "")
        case .waitQueue(let action, let queue, let task, let comm, let pid, let exclusive):
            var text = "wait-queue: \(action.name) \(comm.string) (pid \(pid), task \(hex8(task)))"
            text += exclusive ? ", exclusive" : ", non-exclusive"
            if queue != 0 { text += ", queue \(hex8(queue))" + (label(queue).map { " \($0)" } ?? "") }
            return text
        case .taskState(let task, let comm, let pid, let old, let new):
            return "task-state: \(comm.string) (pid \(pid), task \(hex8(task))) "
                + "\(Linux26.taskStateName(old) ?? String(old)) -> \(Linux26.taskStateName(new) ?? String(new))"
        case .irqStack(let comm, let from, let to, let esp, let pid, let previousESP, let toIRQ):
            let place = label(to).map { " \($0)" } ?? ""
            return toIRQ
                ? "irq-stack: esp \(hex8(esp)) moves onto the IRQ stack \(hex8(to))\(place) from \(hex8(from)), "
                    + "current \(comm.string) (pid \(pid)), previous_esp \(hex8(previousESP))"
                : "irq-stack: esp \(hex8(esp)) leaves the IRQ stack \(hex8(from)) for \(hex8(to))\(place), current \(comm.string) (pid \(pid))"
        case .cow(let action, let address, let pte, let from, let to):
            return action == .fault
                ? "cow: write fault at \(hex8(address)), pte \(hex8(pte)) (frame \(hex8(pte & ~0xFFF)), read-only)"
                : "cow: copy frame \(hex8(from)) -> \(hex8(to)) for \(hex8(address))"
        case .timer(let action, let timer, let expires, let function, let data):
            return "timer: \(action.name) \(hex8(timer)), expires \(expires), function \(hex8(function))"
                + (vocabulary.functionName(function).map { " <\($0)>" } ?? "") + ", data \(hex8(data))"
        }
    }

    /// The event as a JSON object, through `cursor` (which must have `maxJSONLength` bytes reserved).
    func writeJSON(to cursor: inout SinkCursor, _ vocabulary: EventVocabulary) {
        cursor.put("{\"kind\":\"")
        cursor.put(kind)
        cursor.put(byte: UInt8(ascii: "\""))
        switch self {
        case .current(let task, let comm, let pid, let threadInfo):
            cursor.put(",\"task\":")
            cursor.putJSONHex(task)
            cursor.put(",\"comm\":")
            cursor.putJSONString(comm.string)
            cursor.put(",\"pid\":")
            cursor.putDecimal(UInt64(pid), maxDigits: 10)
            cursor.put(",\"thread_info\":")
            cursor.putJSONHex(threadInfo)
        case .currentProcess(let proc, let name, let pid, let state, let kernelStack):
            guard proc != 0 else {
                cursor.put(",\"proc\":null,\"name\":null,\"pid\":null,\"state\":null,\"kstack\":null")
                break
            }
            cursor.put(",\"proc\":")
            cursor.putJSONHex(proc)
            cursor.put(",\"name\":")
            cursor.putJSONString(name.string)
            cursor.put(",\"pid\":")
            cursor.putDecimal(UInt64(pid), maxDigits: 10)
            cursor.put(",\"state\":")
            if let stateName = vocabulary.stateName(state) {
                cursor.putJSONString(stateName)
            } else {
                cursor.putDecimal(UInt64(state), maxDigits: 10)
            }
            cursor.put(",\"kstack\":")
            cursor.putJSONHex(kernelStack)
        case .switchTask(let prev, let next):
            cursor.put(",\"prev\":")
            cursor.putJSONString(prev.string)
            cursor.put(",\"next\":")
            cursor.putJSONString(next.string)
        case .stackWarning(let esp, let threadInfo, let distance):
            cursor.put(",\"esp\":")
            cursor.putJSONHex(esp)
            cursor.put(",\"thread_info\":")
            cursor.putJSONHex(threadInfo)
            cursor.put(",\"distance\":")
            if distance < 0 { cursor.put(byte: UInt8(ascii: "-")) }
            cursor.putDecimal(UInt64(distance.magnitude), maxDigits: 20)
        case .stackOverflow(let esp, let threadInfo, let below):
            cursor.put(",\"esp\":")
            cursor.putJSONHex(esp)
            cursor.put(",\"thread_info\":")
            cursor.putJSONHex(threadInfo)
            cursor.put(",\"below\":")
            cursor.putDecimal(UInt64(below), maxDigits: 10)
        case .threadInfoClobbered(let threadInfo, let offset, let old, let new):
            cursor.put(",\"thread_info\":")
            cursor.putJSONHex(threadInfo)
            cursor.put(",\"field\":\"")
            cursor.put(Self.threadInfoField(offset))
            cursor.put("\",\"offset\":")
            cursor.putDecimal(UInt64(offset), maxDigits: 10)
            cursor.put(",\"old\":")
            cursor.putJSONHex(old)
            cursor.put(",\"new\":")
            cursor.putJSONHex(new)
        case .badCurrent(let threadInfo, let task, let problem):
            cursor.put(",\"thread_info\":")
            cursor.putJSONHex(threadInfo)
            if problem != .unmappedThreadInfo {
                cursor.put(",\"task\":")
                cursor.putJSONHex(task)
            }
            cursor.put(",\"problem\":\"")
            cursor.put(problem.name)
            cursor.put(byte: UInt8(ascii: "\""))
        case .privilege(let from, let to):
            cursor.put(",\"from\":")
            cursor.putDecimal(UInt64(from.magnitude), maxDigits: 20)
            cursor.put(",\"to\":")
            cursor.putDecimal(UInt64(to.magnitude), maxDigits: 20)
        case .segmentLoad(let segment, let selector):
            cursor.put(",\"register\":")
            cursor.putJSONString(TraceEvent.segmentName(segment))
            cursor.put(",\"selector\":")
            cursor.putJSONHex(selector)
        case .tssESP0(let value):
            cursor.put(",\"value\":")
            cursor.putJSONHex(value)
        case .taskSwitch(let from, let fromBase, let to, let toBase):
            cursor.putJSONTaskSwitch(from: from, fromBase: fromBase, to: to, toBase: toBase)
        case .userMode(let esp):
            cursor.put(",\"esp\":")
            cursor.putJSONHex(esp)
        case .halt:
            break
        case .systemCall(let number):
            cursor.put(",\"number\":")
            cursor.putDecimal(UInt64(number), maxDigits: 10)
            cursor.put(",\"name\":")
            if let name = vocabulary.systemCalls.name(of: number) { cursor.putJSONString(name) } else { cursor.put("null") }
        case .interrupt(let delivery):
            cursor.put(",\"vector\":")
            cursor.putDecimal(UInt64(delivery.vector), maxDigits: 3)
            cursor.put(",\"source\":\"")
            cursor.put(delivery.sourceCode)
            cursor.put("\",\"line\":")
            if case .isa(let line) = delivery.source { cursor.putDecimal(UInt64(line), maxDigits: 3) } else { cursor.put("null") }
            if case .ioAPICPin(let pin) = delivery.source {
                cursor.put(",\"pin\":")
                cursor.putDecimal(UInt64(pin), maxDigits: 3)
            }
            cursor.put(",\"interrupted\":")
            cursor.putJSONHex(delivery.interrupted)
            cursor.put(",\"cpl\":")
            cursor.putDecimal(UInt64(delivery.cpl), maxDigits: 1)
            cursor.put(",\"process\":")
            if delivery.hasProcess {
                cursor.putJSONString(delivery.process.string)
                cursor.put(",\"pid\":")
                cursor.putDecimal(UInt64(delivery.pid), maxDigits: 10)
            } else {
                cursor.put("null,\"pid\":null")
            }
        case .endOfInterrupt(let report):
            cursor.put(",\"controller\":\"")
            switch report.controller {
            case .localAPIC: cursor.put("lapic")
            case .masterPIC: cursor.put("pic-master")
            case .slavePIC: cursor.put("pic-slave")
            }
            cursor.put("\",\"vector\":")
            if let vector = report.vector { cursor.putDecimal(UInt64(vector), maxDigits: 3) } else { cursor.put("null") }
            cursor.put(",\"line\":")
            if let line = report.line { cursor.putDecimal(UInt64(line), maxDigits: 3) } else { cursor.put("null") }
        case .waitQueue(let action, let queue, let task, let comm, let pid, let exclusive):
            cursor.put(",\"action\":\"")
            cursor.put(action.name)
            cursor.put("\",\"queue\":")
            if queue != 0 { cursor.putJSONHex(queue) } else { cursor.put("null") }
            cursor.put(",\"task\":")
            cursor.putJSONHex(task)
            cursor.put(",\"comm\":")
            cursor.putJSONString(comm.string)
            cursor.put(",\"pid\":")
            cursor.putDecimal(UInt64(pid), maxDigits: 10)
            cursor.put(exclusive ? ",\"exclusive\":true" : ",\"exclusive\":false")
        case .taskState(let task, let comm, let pid, let old, let new):
            cursor.put(",\"task\":")
            cursor.putJSONHex(task)
            cursor.put(",\"comm\":")
            cursor.putJSONString(comm.string)
            cursor.put(",\"pid\":")
            cursor.putDecimal(UInt64(pid), maxDigits: 10)
            cursor.put(",\"old\":")
            cursor.putDecimal(UInt64(old), maxDigits: 10)
            cursor.put(",\"new\":")
            cursor.putDecimal(UInt64(new), maxDigits: 10)
            cursor.put(",\"old_name\":")
            if let name = Linux26.taskStateName(old) { cursor.putJSONString(name) } else { cursor.put("null") }
            cursor.put(",\"new_name\":")
            if let name = Linux26.taskStateName(new) { cursor.putJSONString(name) } else { cursor.put("null") }
        case .irqStack(let comm, let from, let to, let esp, let pid, let previousESP, let toIRQ):
            cursor.put(",\"from\":")
            cursor.putJSONHex(from)
            cursor.put(",\"to\":")
            cursor.putJSONHex(to)
            cursor.put(toIRQ ? ",\"to_irq_stack\":true,\"esp\":" : ",\"to_irq_stack\":false,\"esp\":")
            cursor.putJSONHex(esp)
            cursor.put(",\"comm\":")
            cursor.putJSONString(comm.string)
            cursor.put(",\"pid\":")
            cursor.putDecimal(UInt64(pid), maxDigits: 10)
            cursor.put(",\"previous_esp\":")
            if toIRQ { cursor.putJSONHex(previousESP) } else { cursor.put("null") }
        case .cow(let action, let address, let pte, let from, let to):
            cursor.put(action == .fault ? ",\"action\":\"fault\",\"address\":" : ",\"action\":\"copy\",\"address\":")
            cursor.putJSONHex(address)
            if action == .fault {
                cursor.put(",\"pte\":")
                cursor.putJSONHex(pte)
                cursor.put(",\"frame\":")
                cursor.putJSONHex(pte & ~0xFFF)
            } else {
                cursor.put(",\"from\":")
                cursor.putJSONHex(from)
                cursor.put(",\"to\":")
                cursor.putJSONHex(to)
            }
        case .timer(let action, let timer, let expires, let function, let data):
            cursor.put(",\"action\":\"")
            cursor.put(action.name)
            cursor.put("\",\"timer\":")
            cursor.putJSONHex(timer)
            cursor.put(",\"expires\":")
            cursor.putDecimal(UInt64(expires), maxDigits: 10)
            cursor.put(",\"function\":")
            cursor.putJSONHex(function)
            cursor.put(",\"function_name\":")
            if let name = vocabulary.functionName(function) { cursor.putJSONString(name) } else { cursor.put("null") }
            cursor.put(",\"data\":")
            cursor.putJSONHex(data)
        }
        cursor.put(byte: UInt8(ascii: "}"))
    }
}

/// What a `wait-queue` event did.
enum WaitQueueAction: UInt8 {
    case add, addExclusive, remove, wake

    var name: StaticString {
        switch self {
        case .add: "add"
        case .addExclusive: "add-exclusive"
        case .remove: "remove"
        case .wake: "wake"
        }
    }
}

/// What a `cow` event shows.
enum COWAction: UInt8 {
    case fault, copy
}

/// What a `timer` event did.
enum TimerAction: UInt8 {
    case add, delete, expire

    var name: StaticString {
        switch self {
        case .add: "add"
        case .delete: "del"
        case .expire: "expire"
        }
    }
}

/// An external interrupt as the `irq` event shows it.
struct InterruptDelivery {
    /// The process running when it came (Linux: `current` on the kernel stack; xv6: `cpus[0].proc`).
    var process: TaskName
    /// The instruction it interrupted (where iret returns).
    var interrupted: UInt32
    var pid: UInt32
    var vector: UInt8
    /// Where the vector comes from, as the controllers are programmed.
    var source: PCPlatform.InterruptSource
    /// The privilege level it interrupted.
    var cpl: UInt8
    /// False when no process was current (xv6's scheduler; a Linux stack without a task).
    var hasProcess: Bool

    /// `source` in JSON.
    var sourceCode: StaticString {
        switch source {
        case .isa: "isa"
        case .ioAPICPin: "ioapic-pin"
        case .localTimer: "lapic-timer"
        case .localThermal: "lapic-thermal"
        case .localPerformanceCounter: "lapic-perf"
        case .localLINT0: "lapic-lint0"
        case .localLINT1: "lapic-lint1"
        case .localError: "lapic-error"
        case .spurious: "spurious"
        case .unknown: "unknown"
        }
    }
}

/// The names events print: a kernel profile's system calls and process states,
/// and the image's function names (a timer's function).
struct EventVocabulary: Sendable {
    var systemCalls: SystemCallTable
    var processStates: [String]
    var functionNames: [UInt32: String] = [:]

    init(_ kernel: KernelProfile, symbols: SymbolTable? = nil) {
        systemCalls = kernel.systemCalls
        if case .xv6(let profile) = kernel { processStates = profile.processStates } else { processStates = [] }
        for symbol in symbols?.symbols ?? [] where symbol.kind == .function && functionNames[symbol.value] == nil {
            functionNames[symbol.value] = symbol.name
        }
    }

    func functionName(_ address: UInt32) -> String? { functionNames[address] }

    func stateName(_ value: UInt32) -> String? {
        value < UInt32(processStates.count) ? processStates[Int(value)] : nil
    }
}

/// A task_struct's comm or a proc's name: up to 16 bytes, NUL-padded, kept inline.
struct TaskName {
    /// The 16 bytes in memory order (8-byte aligned, so records can hold events).
    var bytes: (UInt64, UInt64)

    init(bytes: (UInt64, UInt64)) {
        self.bytes = bytes
    }

    /// The first 16 bytes of `text` (a label such as "scheduler").
    init(_ text: String) {
        var value: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &value) { buffer in
            for (index, byte) in text.utf8.prefix(16).enumerated() { buffer[index] = byte }
        }
        bytes = value
    }

    /// The name up to its first NUL, as UTF-8 (invalid bytes become U+FFFD).
    var string: String {
        withUnsafeBytes(of: bytes) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
    }
}

func hex8(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}

func hex4(_ value: UInt32) -> String {
    let digits = String(value & 0xFFFF, radix: 16)
    return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
}

/// The arithmetic and control flags set in an EFLAGS value, as letters.
public func flagLetters(_ flags: UInt32) -> String {
    let names: [(UInt32, String)] = [(1 << 0, "CF"), (1 << 2, "PF"), (1 << 4, "AF"), (1 << 6, "ZF"),
                                     (1 << 7, "SF"), (1 << 8, "TF"), (1 << 9, "IF"), (1 << 10, "DF"),
                                     (1 << 11, "OF")]
    return names.filter { flags & $0.0 != 0 }.map(\.1).joined(separator: " ")
}
