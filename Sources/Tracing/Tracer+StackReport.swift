import I386
import KernelModel

/// `--stack-report`: the deepest kernel stack pointer each thread_union reached.
extension Tracer {
    /// Notes esp after a recorded instruction that changed it (kernel mode only).
    @inline(never)
    func noteStackDepth(_ address: UInt32) {
        let after = afterFile.pointee
        guard after[.cs] & 3 == 0 else { return }
        let esp = after[.esp]
        let threadInfo = esp & threadMask
        // An esp exactly at a union's start is the empty stack of the union below it, not a full one.
        guard esp != threadInfo else { return }
        if let deepest = deepestStacks[threadInfo], deepest.esp <= esp { return }
        deepestStacks[threadInfo] = (esp, address, step)
    }

    /// One line per union that held a kernel stack: its deepest esp, the bytes left
    /// above thread_info, and the instruction that reached it; unions with no task
    /// are named as such.
    public func stackReport(_ machine: Machine) -> [String] {
        deepestStacks.keys.sorted().compactMap { threadInfo in
            guard let deepest = deepestStacks[threadInfo] else { return nil }
            var name = hex8(threadInfo)
            if let place = symbols.locate(threadInfo), place.offset == 0 { name = "\(place.name) \(name)" }
            let owner = task(at: threadInfo, machine).map { "\($0.comm.string) (pid \($0.pid))" } ?? "no task"
            let left = Int(deepest.esp) - Int(threadInfo) - Int(Linux26.ThreadInfo.size)
            let at = hex8(deepest.address) + (symbols.label(for: deepest.address).map { " " + $0 } ?? "")
            let room = left >= 0 ? "\(left) bytes left above thread_info" : "\(-left) bytes into thread_info"
            return "  \(name), \(owner): deepest esp \(hex8(deepest.esp)), \(room), at step \(deepest.step) \(at)"
        }
    }
}
