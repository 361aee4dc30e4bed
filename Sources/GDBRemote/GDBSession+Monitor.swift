import Foundation
import I386
import Images
import KernelModel
import Tracing

/// `monitor` commands (qRcmd): kernel-aware views of the machine, tracing
/// from here on, catchpoints, and the instruction count.
extension GDBSession {
    static let monitorHelp = """
        kstep monitor commands:
          current [4096|8192]   the task `current` names: esp -> thread_info -> task (comm, pid, state)
          tasks                 every task on init_task's list: pid, comm, state, thread.esp/eip; * marks current
          stack [4096|8192]     the current thread_union: thread_info fields, esp, bytes used and left
          tss                   the TSS TR names: esp0, ss0, I/O map base
          gdt                   the GDT's descriptors, decoded
          idt                   the IDT's present gates, decoded
          trace on FILE         write a JSONL trace (kstep trace --format jsonl) from here on
          trace off             stop it
          catch [none|all|VECTOR|#GP …]  exceptions that stop before delivery (shows the set without arguments)
          steps                 instructions retired, interruptions delivered, the recorded history
          help                  this list
        """

    /// Runs one monitor command line; returns its output.
    func runMonitorCommand(_ line: String) -> String {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
        guard let command = words.first else { return Self.monitorHelp + "\n" }
        let arguments = Array(words.dropFirst())
        let output: String
        switch command {
        case "help": output = Self.monitorHelp
        case "current": output = monitorCurrent(arguments)
        case "tasks": output = monitorTasks()
        case "stack": output = monitorStack(arguments)
        case "tss": output = monitorTSS()
        case "gdt": output = monitorGDT()
        case "idt": output = monitorIDT()
        case "trace": output = monitorTrace(arguments)
        case "catch": output = monitorCatch(arguments)
        case "steps": output = monitorSteps()
        default: output = "unknown monitor command '\(command)'; monitor help lists them"
        }
        return output.hasSuffix("\n") ? output : output + "\n"
    }

    private func view(_ arguments: [String]) -> (KernelView, String?) {
        var size = threadSize
        var error: String?
        if let text = arguments.first {
            if let value = UInt32(text), value == 4096 || value == 8192 { size = value } else { error = "THREAD_SIZE must be 4096 or 8192" }
        }
        return (KernelView(machine: machine, symbols: symbols, threadSize: size), error)
    }

    private func monitorCurrent(_ arguments: [String]) -> String {
        let (kernel, error) = view(arguments)
        if let error { return error }
        let (threadInfo, esp, note) = kernel.currentThreadInfo()
        var lines: [String] = []
        if let note { lines.append(note) }
        let place = "esp 0x\(hex8(esp)) -> thread_info 0x\(hex8(threadInfo)) (THREAD_SIZE \(kernel.threadSize))"
        guard let taskAddress = kernel.word(threadInfo &+ Linux26.ThreadInfo.task) else {
            return (lines + ["\(place): thread_info is not readable"]).joined(separator: "\n")
        }
        guard let task = kernel.task(at: taskAddress) else {
            return (lines + ["\(place) -> task 0x\(hex8(taskAddress)): not readable"]).joined(separator: "\n")
        }
        lines.append("current: pid \(task.pid) comm \"\(task.comm)\" state \(KernelView.stateName(task.state))")
        lines.append("  task 0x\(hex8(task.address))\(kernel.label(task.address)), \(place)")
        return lines.joined(separator: "\n")
    }

    private func monitorTasks() -> String {
        let kernel = KernelView(machine: machine, symbols: symbols, threadSize: threadSize)
        guard let first = symbols.symbol(named: "init_task")?.value else { return "no init_task symbol" }
        let (threadInfo, _, _) = kernel.currentThreadInfo()
        let current = kernel.word(threadInfo)
        var lines = ["  pid comm             state            thread.esp thread.eip  task"]
        func line(_ task: KernelView.Task) -> String {
            let marker = task.address == current ? "*" : " "
            let comm = task.comm.padding(toLength: 16, withPad: " ", startingAt: 0)
            let state = KernelView.stateName(task.state).padding(toLength: 16, withPad: " ", startingAt: 0)
            return "\(marker)\(String(task.pid).leftPadded(4)) \(comm) \(state) 0x\(hex8(task.threadESP)) 0x\(hex8(task.threadEIP))"
                + "  0x\(hex8(task.address))\(kernel.label(task.address))"
        }
        var address = first
        var seen = Set<UInt32>()
        while seen.count < 4096 {
            guard seen.insert(address).inserted else { break }
            guard let task = kernel.task(at: address) else {
                lines.append("  (task 0x\(hex8(address)) is not readable: the list ends here)")
                break
            }
            lines.append(line(task))
            let next = task.tasksNext &- Linux26.TaskStruct.tasks
            if next == first { break }
            address = next
        }
        // Tasks of thread_unions the image names (`X_thread_union`, as `kstep check-current` finds them)
        // that are not on the list: micro-images often never link their tasks.
        var others: [String] = []
        for symbol in symbols.symbols where symbol.name.hasSuffix("thread_union") {
            guard let address = kernel.word(symbol.value &+ Linux26.ThreadInfo.task), !seen.contains(address),
                  address != 0, let task = kernel.task(at: address) else { continue }
            seen.insert(address)
            others.append(line(task))
        }
        if !others.isEmpty {
            lines.append("not on init_task's list (found through their thread_union symbols):")
            lines += others
        }
        return lines.joined(separator: "\n")
    }

    private func monitorStack(_ arguments: [String]) -> String {
        let (kernel, error) = view(arguments)
        if let error { return error }
        let (threadInfo, esp, note) = kernel.currentThreadInfo()
        var lines: [String] = []
        if let note { lines.append(note) }
        typealias Info = Linux26.ThreadInfo
        let fields: [(String, UInt32)] = [
            ("task", Info.task), ("exec_domain", Info.execDomain), ("flags", Info.flags), ("status", Info.status),
            ("cpu", Info.cpu), ("preempt_count", Info.preemptCount), ("addr_limit", Info.addrLimit),
            ("previous_esp", Info.previousESP),
        ]
        lines.append("thread_union 0x\(hex8(threadInfo))-0x\(hex8(threadInfo &+ kernel.threadSize)) (THREAD_SIZE \(kernel.threadSize))")
        for (name, offset) in fields {
            let value = kernel.word(threadInfo &+ offset).map { "0x" + hex8($0) + kernel.label($0) } ?? "(unreadable)"
            lines.append("  thread_info.\(name.padding(toLength: 13, withPad: " ", startingAt: 0)) \(value)")
        }
        let top = threadInfo &+ kernel.threadSize
        let floor = threadInfo &+ Info.size
        let used = top &- esp
        lines.append("  esp 0x\(hex8(esp)): \(used) bytes used")
        if esp >= floor {
            lines.append("  \(esp - floor) bytes left before thread_info (ends at 0x\(hex8(floor)))")
        } else {
            lines.append("  esp is \(floor &- esp) bytes inside thread_info: the stack overflowed into it")
        }
        return lines.joined(separator: "\n")
    }

    private func monitorTSS() -> String {
        let kernel = KernelView(machine: machine, symbols: symbols, threadSize: threadSize)
        let tr = machine.taskRegister
        guard let base = kernel.tssBase() else { return "no TSS: TR is 0 and there is no init_tss symbol" }
        var lines: [String] = []
        if tr.selector != 0 {
            lines.append("TR \(hex4(UInt32(tr.selector))): TSS at 0x\(hex8(base))\(kernel.label(base)), limit 0x\(hex(tr.limit))")
        } else {
            lines.append("TR is 0; init_tss at 0x\(hex8(base))")
        }
        let esp0 = kernel.word(base &+ Linux26.TSS.esp0).map { "0x" + hex8($0) + kernel.label($0) } ?? "(unreadable)"
        let ss0 = kernel.word(base &+ Linux26.TSS.ss0).map { hex4($0) } ?? "(unreadable)"
        let map = kernel.word(base &+ Linux26.TSS.ioBitmapBase & ~3).map { word -> String in
            let value = Linux26.TSS.ioBitmapBase & 2 != 0 ? word >> 16 : word & 0xFFFF
            return "0x" + hex(value) + (value >= tr.limit && tr.selector != 0 ? " (beyond the limit: no I/O bitmap)" : "")
        } ?? "(unreadable)"
        lines.append("  esp0 \(esp0)")
        lines.append("  ss0  \(ss0)")
        lines.append("  I/O map base \(map)")
        return lines.joined(separator: "\n")
    }

    private func monitorGDT() -> String {
        let table = machine.gdtr
        var lines = ["GDT at 0x\(hex8(table.base)), limit 0x\(hex(UInt32(table.limit))) (\((Int(table.limit) + 1) / 8) entries)"]
        let count = min((Int(table.limit) + 1) / 8, 8192)
        for index in 0..<count {
            let address = table.base &+ UInt32(index * 8)
            guard let low = machine.readWord(at: address), let high = machine.readWord(at: address &+ 4) else {
                lines.append("  (0x\(hex8(address)) is not readable)")
                break
            }
            guard low != 0 || high != 0 else { continue }
            let marks = [machine[.cs], machine[.ss], machine[.ds], machine[.es], machine[.fs], machine[.gs]]
            let names = zip(["cs", "ss", "ds", "es", "fs", "gs"], marks).filter { $0.1 & ~7 == UInt32(index * 8) }.map(\.0)
            var inUse = names
            if UInt32(machine.taskRegister.selector) & ~7 == UInt32(index * 8) && index != 0 { inUse.append("tr") }
            let note = inUse.isEmpty ? "" : "  [" + inUse.joined(separator: " ") + "]"
            lines.append("  \(String(index).leftPadded(4)) \(hex4(UInt32(index * 8))) \(KernelView.describeDescriptor(low: low, high: high))\(note)")
        }
        return lines.joined(separator: "\n")
    }

    private func monitorIDT() -> String {
        let table = machine.idtr
        guard table.limit != 0 else { return "no IDT (limit 0): exceptions stop the run" }
        let kernel = KernelView(machine: machine, symbols: symbols, threadSize: threadSize)
        var lines = ["IDT at 0x\(hex8(table.base)), limit 0x\(hex(UInt32(table.limit)))"]
        let count = min((Int(table.limit) + 1) / 8, 256)
        for vector in 0..<count {
            let address = table.base &+ UInt32(vector * 8)
            guard let low = machine.readWord(at: address), let high = machine.readWord(at: address &+ 4) else {
                lines.append("  (0x\(hex8(address)) is not readable)")
                break
            }
            guard high & 0x8000 != 0 else { continue }
            let offset = (low & 0xFFFF) | (high & 0xFFFF_0000)
            let type = (high >> 8) & 0x1F
            let handler = type == 0x05 ? "" : kernel.label(offset)
            lines.append("  \(String(vector).leftPadded(3)) \(KernelView.describeDescriptor(low: low, high: high))\(handler)")
        }
        return lines.joined(separator: "\n")
    }

    private func monitorTrace(_ arguments: [String]) -> String {
        switch arguments.first {
        case "on":
            guard arguments.count == 2 else { return "usage: monitor trace on FILE" }
            let path = arguments[1]
            let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard descriptor >= 0 else { return "cannot write '\(path)': \(String(cString: strerror(errno)))" }
            close()
            var configuration = TraceConfiguration()
            configuration.format = .jsonl
            configuration.threadSize = threadSize
            let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
            do {
                tracer = try Tracer(configuration: configuration, symbols: symbols, sink: ByteSink(handle: handle))
            } catch {
                return "cannot start the tracer: \(error)"
            }
            tracePath = path
            return "tracing to \(path) (JSONL) from instruction \(machine.instructionCount)"
        case "off":
            guard let path = tracePath else { return "no trace is on" }
            close()
            tracePath = nil
            return "trace \(path) closed at instruction \(machine.instructionCount)"
        default:
            return "usage: monitor trace on FILE | monitor trace off"
        }
    }

    private static let vectorNames = ["#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "09", "#TS", "#NP",
                                      "#SS", "#GP", "#PF", "15", "#MF", "#AC", "#MC", "#XM"]

    private func monitorCatch(_ arguments: [String]) -> String {
        if !arguments.isEmpty {
            var vectors = Set<Int>()
            for argument in arguments {
                let name = argument.uppercased()
                switch name {
                case "NONE": vectors = []
                case "ALL": vectors.formUnion((0..<20).filter { $0 != 1 && $0 != 2 && $0 != 9 && $0 != 15 })
                default:
                    if let vector = Int(name), (0..<32).contains(vector) {
                        vectors.insert(vector)
                    } else if let index = Self.vectorNames.firstIndex(of: name.hasPrefix("#") ? name : "#" + name) {
                        vectors.insert(index)
                    } else {
                        return "unknown exception '\(argument)' (a vector 0-31 or a name such as #GP, pf)"
                    }
                }
            }
            machine.caughtVectors = vectors
        }
        let caught = machine.caughtVectors.sorted()
        guard !caught.isEmpty else { return "no exception stops before delivery (the guest's handlers take them all)" }
        let names = caught.map { $0 < Self.vectorNames.count ? Self.vectorNames[$0] : String($0) }
        return "stopping before delivering: " + names.joined(separator: " ")
    }

    private func monitorSteps() -> String {
        let position = machine.position
        let beginning = history.beginning
        let kilobytes = machine.snapshotMemoryBytes / 1024
        return """
            \(position.instructions) instructions retired, \(position.interruptions) exceptions and interrupts delivered
            history: back to \(beginning.instructions) instructions (\(history.checkpointCount) checkpoints, \(kilobytes) KB of saved memory)
            """
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
