import I386

/// The `task-switch` event. The tracer remembers TR as it last saw it (when
/// a record copies the changed system registers, when it takes the "before"
/// registers after an unrecorded stretch, after an exception) and reports a
/// change that ltr did not make. A record shows TR before and after it: two
/// switches in one (a switch that faults into a task gate) show as one event
/// from the first TSS to the last; an external interrupt through a task gate
/// shows on the new task's first record, like the interrupt's register changes.
extension Tracer {
    /// Takes TR as the "before" of the next record, without reporting anything.
    func rememberTaskRegister(_ machine: Machine) {
        progress.pointee.taskRegister = machine.taskRegister
    }

    /// The system registers changed: notes whether TR did, for `takeTaskSwitch`.
    func noteTaskRegister(_ machine: Machine) {
        let task = machine.taskRegister
        if let last = progress.pointee.taskRegister, last.selector != task.selector || last.base != task.base {
            progress.pointee.taskSwitchedFrom = last
        }
        progress.pointee.taskRegister = task
    }

    /// The event for the TR change of the instruction just recorded, unless it was ltr.
    func takeTaskSwitch(_ machine: Machine) -> TraceEvent? {
        guard let from = progress.pointee.taskSwitchedFrom else { return nil }
        progress.pointee.taskSwitchedFrom = nil
        guard !Self.isLTR(machine, at: beforeFile.pointee[.eip]) else { return nil }
        let to = machine.taskRegister
        return .taskSwitch(from: from.selector, fromBase: from.base, to: to.selector, toBase: to.base)
    }

    /// The event for a TR change made while an exception was delivered (or by the switch that raised it).
    func taskSwitchInDelivery(_ machine: Machine) -> TraceEvent? {
        noteTaskRegister(machine)
        guard let from = progress.pointee.taskSwitchedFrom else { return nil }
        progress.pointee.taskSwitchedFrom = nil
        let to = machine.taskRegister
        return .taskSwitch(from: from.selector, fromBase: from.base, to: to.selector, toBase: to.base)
    }

    /// True when the instruction at `address` is ltr (0F 00 /3 after any prefixes).
    static func isLTR(_ machine: Machine, at address: UInt32) -> Bool {
        let prefixes: Set<UInt8> = [0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x66, 0x67, 0xF0, 0xF2, 0xF3]
        var offset: UInt32 = 0
        func byte(_ offset: UInt32) -> UInt8? { (try? machine.read(address &+ offset, count: 1))?.first }
        while offset < 12, let prefix = byte(offset), prefixes.contains(prefix) { offset += 1 }
        guard byte(offset) == 0x0F, byte(offset + 1) == 0x00, let modrm = byte(offset + 2) else { return false }
        return (modrm >> 3) & 7 == 3
    }
}
