import I386
import Images
import KernelModel

/// Linux 2.6's `wait-queue`, `timer` and `task-state` events. The first two
/// are the entries of the kernel functions `Linux26.TracedFunction` names,
/// found by symbol (their first instruction is marked when it is
/// disassembled, so other instructions pay nothing); the event is on the
/// record of that first instruction and reads the arguments as they were
/// on entry (the record's "before" registers). `task-state` is a memory
/// write that changes the `state` word of a task_struct the image names
/// (an object symbol ending in `task`, at least as large as task_struct up to `thread`).
extension Tracer {
    /// The traced functions an image defines, by entry address.
    static func tracedFunctions(in symbols: SymbolTable) -> [UInt32: Linux26.TracedFunction] {
        var functions: [UInt32: Linux26.TracedFunction] = [:]
        for function in Linux26.TracedFunction.allCases {
            if let symbol = symbols.symbol(named: function.symbolName), symbol.kind == .function {
                functions[symbol.value] = function
            }
        }
        return functions
    }

    /// The event for the traced function whose first instruction was just recorded.
    func appendFunctionEvent(_ machine: Machine) {
        let before = beforeFile.pointee
        guard let function = tracedFunctions[before[.eip]] else { return }
        switch function {
        case .addWaitQueue, .addWaitQueueExclusive, .removeWaitQueue:
            // fastcall (q, wait): eax, edx. add_wait_queue sets or clears the flag itself: say what it will be.
            let action: WaitQueueAction = function == .addWaitQueue ? .add
                : function == .addWaitQueueExclusive ? .addExclusive : .remove
            guard let event = waitQueueEvent(action, queue: before[.eax], entry: before[.edx], machine) else { return }
            eventList.pointee.append(event)
        case .defaultWakeFunction:
            // cdecl (curr, mode, sync, key): curr above the return address.
            guard let entry = machine.readWord(at: before[.esp] &+ 4),
                  let event = waitQueueEvent(.wake, queue: 0, entry: entry, machine) else { return }
            eventList.pointee.append(event)
        case .addTimer, .delTimer:
            let timer = before[.eax]
            guard let expires = machine.readWord(at: timer &+ Linux26.TimerList.expires),
                  let data = machine.readWord(at: timer &+ Linux26.TimerList.data),
                  let handler = machine.readWord(at: timer &+ Linux26.TimerList.function) else { return }
            eventList.pointee.append(.timer(action: function == .addTimer ? .add : .delete, timer: timer,
                                            expires: expires, function: handler, data: data))
        case .callTimerFunction:
            // fastcall (timer, fn, data): eax, edx, ecx (the timer is already off the list).
            let timer = before[.eax]
            let expires = machine.readWord(at: timer &+ Linux26.TimerList.expires) ?? 0
            eventList.pointee.append(.timer(action: .expire, timer: timer, expires: expires,
                                            function: before[.edx], data: before[.ecx]))
        case .doWPPage:
            // fastcall (mm, address, page_table): edx, ecx.
            guard let pte = machine.readWord(at: before[.ecx]) else { return }
            eventList.pointee.append(.cow(action: .fault, address: before[.edx], pte: pte, from: 0, to: 0))
        case .copyCOWPage:
            // fastcall (from, to, address): eax, edx, ecx.
            eventList.pointee.append(.cow(action: .copy, address: before[.ecx], pte: 0, from: before[.eax], to: before[.edx]))
        }
    }

    private func waitQueueEvent(_ action: WaitQueueAction, queue: UInt32, entry: UInt32, _ machine: Machine) -> TraceEvent? {
        guard let flags = machine.readWord(at: entry &+ Linux26.WaitQueue.flags),
              let task = machine.readWord(at: entry &+ Linux26.WaitQueue.task) else { return nil }
        let exclusive = switch action {
        case .add: false
        case .addExclusive: true
        case .remove, .wake: flags & Linux26.WaitQueue.exclusiveFlag != 0
        }
        let named = taskStruct(at: task, machine)
        return .waitQueue(action: action, queue: queue, task: task, comm: named?.comm ?? TaskName(bytes: (0, 0)),
                          pid: named?.pid ?? 0, exclusive: exclusive)
    }

    /// One `task-state` event per write that changed a watched task's state word.
    func appendTaskStateEvents(_ machine: Machine, writes: MemoryAccesses) {
        for write in writes {
            guard let task = watchedTasks.task(coveredBy: write) else { continue }
            // The state word before: the word now with the bytes the write covered put back.
            guard let now = machine.readWord(at: task) else { continue }
            var old = now
            for byte in UInt32(0)..<4 {
                let offset = task &+ byte &- write.address  // the byte's place in the write
                guard offset < UInt32(write.size) else { continue }
                let previous = UInt32(truncatingIfNeeded: write.oldValue >> UInt64(offset &* 8)) & 0xFF
                old = (old & ~(0xFF << (byte &* 8))) | (previous << (byte &* 8))
            }
            guard old != now, let named = taskStruct(at: task, machine) else { continue }
            eventList.pointee.append(.taskState(task: task, comm: named.comm, pid: named.pid, old: old, new: now))
        }
    }

    /// The `irq-stack` event when esp moves from or onto an IRQ stack: a
    /// thread_info whose task is a real task (its own thread_info names it)
    /// living in another union — do_IRQ and do_softirq copy the interrupted
    /// task into the hard and soft IRQ stacks' thread_info. Called when
    /// esp & ~(THREAD_SIZE-1) changed. An esp at a union's very top belongs
    /// to that union here (do_IRQ's `xchgl %ebx,%esp` loads the empty IRQ
    /// stack's top, then calls): the stack is the one holding esp − 1.
    func appendIRQStackEvent(_ machine: Machine, esp: UInt32) {
        let to = (esp &- 1) & threadMask
        let from = progress.pointee.stackBelowESP
        guard to != from else { return }
        progress.pointee.stackBelowESP = to
        let wasOnIRQStack = progress.pointee.irqStack
        let onIRQStack = irqStackTask(at: to, machine)
        progress.pointee.irqStack = onIRQStack == nil ? nil : to
        guard onIRQStack != nil || wasOnIRQStack != nil else { return }
        let taskAddress = onIRQStack ?? machine.readWord(at: to) ?? 0
        let named = taskStruct(at: taskAddress, machine)
        let previous = onIRQStack == nil ? 0 : machine.readWord(at: to &+ Linux26.ThreadInfo.previousESP) ?? 0
        eventList.pointee.append(.irqStack(comm: named?.comm ?? TaskName(bytes: (0, 0)), from: from ?? 0, to: to, esp: esp,
                                           pid: named?.pid ?? 0, previousESP: previous, toIRQ: onIRQStack != nil))
    }

    /// The task an IRQ stack's thread_info names, if `threadInfo` is one.
    func irqStackTask(at threadInfo: UInt32, _ machine: Machine) -> UInt32? {
        guard let task = machine.readWord(at: threadInfo), task != 0,
              let own = machine.readWord(at: task &+ Linux26.TaskStruct.threadInfo), own != threadInfo, own != 0,
              machine.readWord(at: own) == task else { return nil }
        return task
    }

    /// A task_struct's comm and pid.
    func taskStruct(at task: UInt32, _ machine: Machine) -> (comm: TaskName, pid: UInt32)? {
        guard task != 0, let pid = machine.readWord(at: task &+ Linux26.TaskStruct.pid) else { return nil }
        var name = TaskName(bytes: (0, 0))
        for index in 0..<4 {
            guard let word = machine.readWord(at: task &+ Linux26.TaskStruct.comm &+ UInt32(4 * index)) else { return nil }
            withUnsafeMutableBytes(of: &name.bytes) { $0.storeBytes(of: word.littleEndian, toByteOffset: 4 * index, as: UInt32.self) }
        }
        return (name, pid)
    }
}
