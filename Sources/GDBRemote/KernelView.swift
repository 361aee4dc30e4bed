import I386
import Images
import KernelModel

/// A read-only view of a Linux 2.6 kernel's process structures in guest
/// memory, laid out as `KernelModel.Linux26` says: `current` from esp,
/// tasks from `init_task`'s list, the thread_union, the TSS, GDT and IDT.
/// It reads through the current paging without side effects and never
/// trusts a pointer: anything unreadable ends the walk with a note.
struct KernelView {
    let machine: Machine
    let symbols: SymbolTable
    let threadSize: UInt32

    typealias ThreadInfo = Linux26.ThreadInfo
    typealias TaskStruct = Linux26.TaskStruct

    /// A task_struct's fields the monitor shows.
    struct Task {
        var address: UInt32
        var state: UInt32
        var pid: UInt32
        var comm: String
        var tasksNext: UInt32
        var threadESP: UInt32
        var threadEIP: UInt32
    }

    func word(_ address: UInt32) -> UInt32? { machine.readWord(at: address) }

    func task(at address: UInt32) -> Task? {
        guard let state = word(address &+ TaskStruct.state), let pid = word(address &+ TaskStruct.pid),
              let next = word(address &+ TaskStruct.tasks), let esp = word(address &+ TaskStruct.esp),
              let eip = word(address &+ TaskStruct.eip),
              let name = try? machine.read(address &+ TaskStruct.comm, count: Int(TaskStruct.commLength)) else { return nil }
        let comm = String(decoding: name.prefix { $0 != 0 }, as: UTF8.self)
        return Task(address: address, state: state, pid: pid, comm: comm, tasksNext: next, threadESP: esp, threadEIP: eip)
    }

    /// `volatile long state` as `fs/proc/array.c` names it.
    static func stateName(_ state: UInt32) -> String {
        switch state {
        case 0: "R (running)"
        case 1: "S (sleeping)"
        case 2: "D (disk sleep)"
        case 4: "T (stopped)"
        case 8: "T (tracing stop)"
        case 16: "Z (zombie)"
        case 32: "X (dead)"
        case UInt32.max: "unrunnable"
        default: "0x" + String(state, radix: 16)
        }
    }

    /// The stack `current` is taken from: esp in ring 0; in ring 3 the
    /// kernel stack the TSS's esp0 names (the union the next entry uses).
    func kernelStackPointer() -> (esp: UInt32, note: String?) {
        let esp = machine[.esp]
        guard machine.cpl != 0 else { return (esp, nil) }
        if let esp0 = tssField(Linux26.TSS.esp0) {
            return (esp0 &- 1, "CPL \(machine.cpl): esp is a user stack; using TSS esp0 0x\(hex(esp0))")
        }
        return (esp, "CPL \(machine.cpl) and no TSS: esp is a user stack")
    }

    /// The thread_info `current` finds: esp & ~(THREAD_SIZE - 1).
    /// An esp at the very top of a union (an empty stack) is taken as that union's.
    func currentThreadInfo() -> (threadInfo: UInt32, esp: UInt32, note: String?) {
        var (esp, note) = kernelStackPointer()
        var lookup = esp
        if esp & (threadSize &- 1) == 0 && note == nil {
            note = "esp 0x\(hex8(esp)) is the top of a thread_union (an empty stack): taking that union"
            lookup &-= 1
        }
        return (lookup & Linux26.currentMask(threadSize: threadSize), esp, note)
    }

    /// The TSS TR names (or `init_tss` when no TR is loaded).
    func tssBase() -> UInt32? {
        if machine.taskRegister.selector != 0 { return machine.taskRegister.base }
        return symbols.symbol(named: "init_tss")?.value
    }

    func tssField(_ offset: UInt32) -> UInt32? { tssBase().flatMap { word($0 &+ offset) } }

    func label(_ address: UInt32) -> String {
        guard let place = symbols.locate(address) else { return "" }
        return place.offset == 0 ? " <\(place.name)>" : " <\(place.name)+0x\(hex(place.offset))>"
    }

    // MARK: Descriptors

    /// A GDT/LDT descriptor or IDT gate, decoded.
    static func describeDescriptor(low: UInt32, high: UInt32) -> String {
        let present = high & 0x8000 != 0
        let dpl = (high >> 13) & 3
        let type = (high >> 8) & 0xF
        let isSystem = high & 0x1000 == 0
        var limit = (low & 0xFFFF) | (high & 0xF_0000)
        if high & 0x80_0000 != 0 { limit = limit << 12 | 0xFFF }
        let base = (low >> 16) | (high & 0xFF) << 16 | (high & 0xFF00_0000)
        let place = "base 0x\(hex8(base)) limit 0x\(hex8(limit))"
        let tail = " dpl \(dpl)" + (present ? "" : " not-present")
        if !isSystem {
            let bits = high & 0x40_0000 != 0 ? "32-bit" : "16-bit"
            if type & 8 != 0 {
                let flags = (type & 2 != 0 ? "r" : "-") + "x" + (type & 4 != 0 ? " conforming" : "")
                return "code \(bits) \(flags)\(type & 1 != 0 ? " accessed" : "") \(place)\(tail)"
            }
            let flags = "r" + (type & 2 != 0 ? "w" : "-") + (type & 4 != 0 ? " expand-down" : "")
            return "data \(bits) \(flags)\(type & 1 != 0 ? " accessed" : "") \(place)\(tail)"
        }
        let selector = low >> 16
        let offset = (low & 0xFFFF) | (high & 0xFFFF_0000)
        switch type {
        case 0x1, 0x3, 0x9, 0xB:
            let kind = type & 8 != 0 ? "32-bit TSS" : "16-bit TSS"
            return "\(kind) \(type & 2 != 0 ? "busy" : "available") \(place)\(tail)"
        case 0x2: return "LDT \(place)\(tail)"
        case 0x5: return "task gate, TSS selector 0x\(String(selector, radix: 16))\(tail)"
        case 0x4, 0xC: return "call gate \(selector):0x\(hex8(offset)), \(high & 0x1F) parameters\(tail)"
        case 0x6, 0xE: return "interrupt gate \(hex4(selector)):0x\(hex8(offset))\(tail)"
        case 0x7, 0xF: return "trap gate \(hex4(selector)):0x\(hex8(offset))\(tail)"
        default: return "reserved system type 0x\(String(type, radix: 16))\(tail)"
        }
    }
}

func hex(_ value: UInt32) -> String { String(value, radix: 16) }

func hex8(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}

func hex4(_ value: UInt32) -> String {
    let digits = String(value & 0xFFFF, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
}
