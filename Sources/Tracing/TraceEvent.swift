/// Something a trace record notes besides register and memory changes. A
/// plain value (no strings): events are collected in the run loop and copied
/// into JSONL records as bytes.
enum TraceEvent {
    /// `current` now names this task (esp moved to another thread_union).
    case current(task: UInt32, comm: TaskName, pid: UInt32, threadInfo: UInt32)
    /// esp left a task's thread_union for another task's: the switch_to stack load.
    case switchTask(prev: TaskName, next: TaskName)
    /// esp is within `distance` bytes above thread_info, or inside it.
    case stackWarning(esp: UInt32, threadInfo: UInt32, distance: Int)
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

    /// Most bytes an event's JSON takes: under 160 fixed, and two task names
    /// of 16 bytes at most 6 bytes each when escaped.
    static let maxJSONLength = 160 + 2 * 16 * 6

    private static let segmentNames = ["es", "cs", "ss", "ds", "fs", "gs"]

    /// The segment register's name, for `segmentLoad`.
    static func segmentName(_ segment: Int) -> String {
        segmentNames.indices.contains(segment) ? segmentNames[segment] : "?"
    }

    var kind: StaticString {
        switch self {
        case .current: "current"
        case .switchTask: "switch"
        case .stackWarning: "stack-warning"
        case .privilege: "privilege"
        case .segmentLoad: "segment-load"
        case .tssESP0: "tss-esp0"
        case .taskSwitch: "task-switch"
        case .halt: "hlt"
        case .userMode: "user-mode"
        }
    }

    var text: String {
        switch self {
        case .current(let task, let comm, let pid, let threadInfo):
            "current: \(comm.string) (pid \(pid)), task \(hex8(task)), thread_info \(hex8(threadInfo))"
        case .switchTask(let prev, let next):
            "switch: \(prev.string) -> \(next.string) (esp moves to \(next.string)'s stack)"
        case .stackWarning(let esp, let threadInfo, let distance):
            distance < 0 ? "stack overflow: esp \(hex8(esp)) is inside thread_info at \(hex8(threadInfo))"
                         : "stack warning: esp \(hex8(esp)) is \(distance) bytes above thread_info at \(hex8(threadInfo))"
        case .privilege(let from, let to): "privilege: CPL \(from) -> \(to)"
        case .segmentLoad(let segment, let selector): "segment load: \(Self.segmentName(segment)) = \(hex4(selector))"
        case .tssESP0(let value): "tss.esp0 = \(hex8(value))"
        case .taskSwitch(let from, let fromBase, let to, let toBase):
            "task switch: TSS \(hex4(UInt32(from))) (base \(hex8(fromBase))) -> \(hex4(UInt32(to))) (base \(hex8(toBase)))"
        case .halt: "hlt"
        case .userMode(let esp): "ring 3: esp \(hex8(esp)) is a user stack"
        }
    }
}

/// A task_struct's comm: up to 16 bytes, NUL-padded, kept inline.
struct TaskName {
    /// The 16 bytes in memory order (8-byte aligned, so records can hold events).
    var bytes: (UInt64, UInt64)

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
