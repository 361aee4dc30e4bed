import I386
import KernelModel
import PC

/// External interrupts: an `irq` record between two instruction records.
extension Tracer {
    /// Records the interrupt delivered before the instruction at `interruptedAddress`:
    /// its vector and source, what it interrupted (eip, ring, process), where it was
    /// delivered and the frame it pushed; the privilege change it made.
    public func didInterrupt(_ machine: Machine, vector: Int, interruptedAddress: UInt32, writes: MemoryAccesses) {
        let wasCurrent = beforeIsCurrent
        beforeIsCurrent = false  // delivery changed registers outside any instruction record
        progress.pointee.wantsWillExecute = true
        guard started, records < recordLimit, isRecorded(interruptedAddress),
              configuration.format == .text || configuration.format == .jsonl else { return }
        // The frame's cs (no error code for an external interrupt): the interrupted ring.
        let frameCS = machine.readWord(at: machine[.esp] &+ 4) ?? machine[.cs]
        let cpl = Int(frameCS & 3)
        let owner = interruptedProcess(machine)
        let delivery = InterruptDelivery(process: owner?.name ?? TaskName(""), interrupted: interruptedAddress,
                                         pid: owner?.pid ?? 0, vector: UInt8(truncatingIfNeeded: vector),
                                         source: platform?.interruptSource(ofVector: UInt8(truncatingIfNeeded: vector)) ?? .unknown,
                                         cpl: UInt8(cpl), hasProcess: owner != nil)
        var events: [TraceEvent] = [.interrupt(delivery)]
        if cpl != machine.cpl { events.append(.privilege(from: cpl, to: machine.cpl)) }
        switch configuration.format {
        case .text:
            writeInterruptText(machine, events: events, writes: writes)
            sink.flushIfFull()
        case .jsonl:
            // The registers delivery changed (all of them after a stretch that was not recorded),
            // so a reader that follows the deltas stays in step.
            // (Compared one by one, not through copyRegisters: a second inlined copy of it makes
            // the optimizer take RegisterFile's SIMD compare out of line in didExecute too.)
            afterFile.pointee = machine.registerFile
            var registers = shownRegisters
            if wasCurrent && !isFirstRecord {
                registers = RegisterSet()
                for register in TraceRegisters.order
                where shownRegisters.contains(register) && afterFile.pointee[register] != beforeFile.pointee[register] {
                    registers.insert(RegisterSet(register))
                }
            }
            recordInterruptJSON(interrupted: interruptedAddress, registers: registers, events: events, writes: writes)
            swap(&beforeFile, &afterFile)
            beforeIsCurrent = true
            isFirstRecord = false
        case .tenet, .qemu:
            break
        }
    }

    /// The process an interrupt interrupted: xv6's `cpus[0].proc`; for Linux, the task
    /// of the kernel stack delivery left esp on.
    private func interruptedProcess(_ machine: Machine) -> (name: TaskName, pid: UInt32)? {
        if let profile = xv6 {
            guard let proc = machine.readWord(at: profile.currentProcessAddress), proc != 0,
                  let process = process(at: proc, machine, profile) else { return nil }
            return (process.name, process.pid)
        }
        let threadInfo = machine[.esp] & threadMask
        if let task = task(at: threadInfo, machine) { return (task.comm, task.pid) }
        // An IRQ stack (CONFIG_4KSTACKS): its thread_info names the interrupted task.
        guard let owner = irqStackTask(at: threadInfo, machine), let task = taskStruct(at: owner, machine) else { return nil }
        return (task.comm, task.pid)
    }
}
