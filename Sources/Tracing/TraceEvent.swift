/// Something a trace record notes besides register and memory changes.
enum TraceEvent {
    /// `current` now names this task (esp moved to another thread_union).
    case current(task: UInt32, comm: String, pid: UInt32, threadInfo: UInt32)
    /// esp left a task's thread_union for another task's: the switch_to stack load.
    case switchTask(prev: String, next: String)
    /// esp is within `distance` bytes above thread_info, or inside it.
    case stackWarning(esp: UInt32, threadInfo: UInt32, distance: Int)
    /// The privilege level changed.
    case privilege(from: Int, to: Int)
    /// A segment register was loaded.
    case segmentLoad(name: String, selector: UInt32)
    /// The current TSS's esp0 was written.
    case tssESP0(value: UInt32)
    /// hlt.
    case halt
    /// In ring 3: `current` does not apply to a user stack.
    case userMode(esp: UInt32)

    /// UTF-8 bytes in the event's strings (for sizing its JSON).
    var stringBytes: Int {
        switch self {
        case .current(_, let comm, _, _): comm.utf8.count
        case .switchTask(let prev, let next): prev.utf8.count + next.utf8.count
        case .segmentLoad(let name, _): name.utf8.count
        default: 0
        }
    }

    var kind: StaticString {
        switch self {
        case .current: "current"
        case .switchTask: "switch"
        case .stackWarning: "stack-warning"
        case .privilege: "privilege"
        case .segmentLoad: "segment-load"
        case .tssESP0: "tss-esp0"
        case .halt: "hlt"
        case .userMode: "user-mode"
        }
    }

    var text: String {
        switch self {
        case .current(let task, let comm, let pid, let threadInfo):
            "current: \(comm) (pid \(pid)), task \(hex8(task)), thread_info \(hex8(threadInfo))"
        case .switchTask(let prev, let next): "switch: \(prev) -> \(next) (esp moves to \(next)'s stack)"
        case .stackWarning(let esp, let threadInfo, let distance):
            distance < 0 ? "stack overflow: esp \(hex8(esp)) is inside thread_info at \(hex8(threadInfo))"
                         : "stack warning: esp \(hex8(esp)) is \(distance) bytes above thread_info at \(hex8(threadInfo))"
        case .privilege(let from, let to): "privilege: CPL \(from) -> \(to)"
        case .segmentLoad(let name, let selector): "segment load: \(name) = \(hex4(selector))"
        case .tssESP0(let value): "tss.esp0 = \(hex8(value))"
        case .halt: "hlt"
        case .userMode(let esp): "ring 3: esp \(hex8(esp)) is a user stack"
        }
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
