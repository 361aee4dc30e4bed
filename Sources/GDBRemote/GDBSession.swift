import I386
import Images
import Tracing

/// One debugger's conversation with a machine: the GDB remote serial
/// protocol's packets, answered against a `Machine` and its
/// `ExecutionHistory`. Transport-free: `RemoteServer` feeds it packets from
/// a socket; tests can feed it directly.
public final class GDBSession {
    /// The largest packet either side sends (`PacketSize` in qSupported).
    public static let packetSize = 0x4000
    /// The most bytes one `m` reads (its hex reply fits a packet).
    public static let maximumMemoryRead = (packetSize - 1) / 2
    /// The most bytes a watchpoint may cover.
    public static let maximumWatchLength: UInt32 = 4096

    /// What to debug.
    public struct Target {
        public var machine: Machine
        public var symbols: SymbolTable
        /// Everything besides the machine that a checkpoint saves (devices, consoles): each captures its state
        /// and returns the closure that puts it back.
        public var participants: [() -> () -> Void]
        /// Stop a continue after this many instructions (nil: never).
        public var stepLimit: UInt64?
        /// Breakpoints that exist before gdb sets any (`--until`, `--break`).
        public var initialBreakpoints: Set<UInt32>
        /// THREAD_SIZE for the monitor's `current` and `stack`.
        public var threadSize: UInt32
        /// Exceptions that stop before delivery (`monitor catch` changes them).
        public var caughtVectors: Set<Int>
        public var history: ExecutionHistory.Configuration
        /// The ELF gdb may read symbols from over the connection (nil: gdb must be given it).
        public var executable: Executable?

        public init(machine: Machine, symbols: SymbolTable, participants: [() -> () -> Void] = [],
                    stepLimit: UInt64? = nil, initialBreakpoints: Set<UInt32> = [], threadSize: UInt32 = 8192,
                    caughtVectors: Set<Int> = GDBSession.defaultCaughtVectors,
                    history: ExecutionHistory.Configuration = ExecutionHistory.Configuration(),
                    executable: Executable? = nil) {
            self.machine = machine
            self.symbols = symbols
            self.participants = participants
            self.stepLimit = stepLimit
            self.initialBreakpoints = initialBreakpoints
            self.threadSize = threadSize
            self.caughtVectors = caughtVectors
            self.history = history
            self.executable = executable
        }
    }

    /// The exceptions a session stops at before delivery unless told
    /// otherwise: the ones that mean something went wrong (#DE, #BR, #UD,
    /// #DF, #TS, #NP, #SS, #GP, #MF, #AC, #MC, #XM), not the ones kernels
    /// take in their stride (#DB, #BP, #OF, #NM for lazy FPU, #PF for demand paging).
    public static let defaultCaughtVectors: Set<Int> = [0, 5, 6, 8, 10, 11, 12, 13, 16, 17, 18, 19]

    /// How a session ended.
    public enum Ending: Equatable, Sendable {
        /// `k` or `vKill`: the debugger killed the target.
        case killed
        /// `D`: the debugger detached.
        case detached
    }

    /// A reply: payloads to send in order, and the end of the session if it ends.
    public struct Response: Equatable {
        public var packets: [[UInt8]]
        public var ending: Ending?

        init(_ texts: [String], ending: Ending? = nil) {
            packets = texts.map { Array($0.utf8) }
            self.ending = ending
        }

        init(bytes: [UInt8]) {
            packets = [bytes]
            ending = nil
        }
    }

    public let machine: Machine
    public let history: ExecutionHistory
    public let symbols: SymbolTable
    public var threadSize: UInt32
    let stepLimit: UInt64?
    /// Called after every run (forward or back), e.g. to show new console output.
    public var afterRun: (() -> Void)?
    /// Brackets every run, so an interrupt (Ctrl-C) can stop it.
    public var runControl: RunControl?

    private var softwareBreakpoints: [UInt32: Int] = [:]
    private var hardwareBreakpoints: [UInt32: Int] = [:]
    private let fixedBreakpoints: Set<UInt32>
    private let fixedWatches: [Watchpoint]
    private var watches: [Watchpoint: Int] = [:]
    /// The reply `?` gives: the last stop.
    private var lastStop = "S05"
    /// Where the CPU halted (hlt with nothing to wake it): it stays there.
    private var halt: (eip: UInt32, position: ExecutionPosition)?
    /// The ELF `qXfer:exec-file:read` names and `vFile:` reads.
    let executable: Executable?
    /// Descriptors `vFile:open` gave out (each reads `executable`).
    var openFiles: Set<Int> = []
    /// A JSONL trace started with `monitor trace on`.
    var tracer: Tracer?
    var tracePath: String?

    /// True once `QStartNoAckMode` was accepted.
    public private(set) var isNoAckMode = false

    public init(target: Target) {
        machine = target.machine
        symbols = target.symbols
        threadSize = target.threadSize
        stepLimit = target.stepLimit
        executable = target.executable
        fixedBreakpoints = target.initialBreakpoints.union(target.machine.breakpoints)
        fixedWatches = target.machine.watchpoints
        machine.breakpoints = fixedBreakpoints
        machine.caughtVectors = target.caughtVectors
        history = ExecutionHistory(machine: machine, participants: target.participants, configuration: target.history)
        lastStop = StopReply.packet(signal: .trap, machine: machine)
    }

    /// A new debugger connected: it starts in acknowledgement mode.
    public func connectionDidStart() {
        isNoAckMode = false
        openFiles = []
    }

    /// Finishes a trace still being written.
    public func close() {
        tracer?.finish()
        tracer = nil
    }

    // MARK: Dispatch

    /// Answers one packet (its payload as received, escapes included).
    public func handle(_ payload: [UInt8]) -> Response {
        guard let first = payload.first else { return Response([""]) }
        let rest = payload.dropFirst()
        let text = String(decoding: payload, as: UTF8.self)
        switch first {
        case UInt8(ascii: "?"): return Response([lastStop])
        case UInt8(ascii: "g"): return Response([PacketCoding.hex(RegisterFileLayout.readAll(from: machine))])
        case UInt8(ascii: "G"): return Response([writeAllRegisters(rest)])
        case UInt8(ascii: "p"): return Response([readRegister(rest)])
        case UInt8(ascii: "P"): return Response([writeRegister(rest)])
        case UInt8(ascii: "m"): return Response([readMemory(rest)])
        case UInt8(ascii: "M"): return Response([writeMemory(rest, binary: false)])
        case UInt8(ascii: "X"): return Response([writeMemory(rest, binary: true)])
        case UInt8(ascii: "c"), UInt8(ascii: "s"):
            return resume(step: first == UInt8(ascii: "s"), address: rest.isEmpty ? nil : rest)
        case UInt8(ascii: "C"), UInt8(ascii: "S"):
            // The signal is the exception gdb saw; running on delivers it anyway.
            let address = rest.split(separator: UInt8(ascii: ";"), maxSplits: 1, omittingEmptySubsequences: false)
            return resume(step: first == UInt8(ascii: "S"), address: address.count > 1 ? address[1] : nil)
        case UInt8(ascii: "Z"), UInt8(ascii: "z"): return Response([breakpoint(rest, insert: first == UInt8(ascii: "Z"))])
        case UInt8(ascii: "H"), UInt8(ascii: "T"): return Response(["OK"])
        case UInt8(ascii: "D"): return Response(["OK"], ending: .detached)
        case UInt8(ascii: "k"): return Response([], ending: .killed)
        default: break
        }
        if text == "bs" { return reverse(step: true) }
        if text == "bc" { return reverse(step: false) }
        if text.hasPrefix("qSupported") {
            return Response(["PacketSize=\(String(Self.packetSize, radix: 16));qXfer:features:read+;QStartNoAckMode+;"
                             + "swbreak+;hwbreak+;ReverseStep+;ReverseContinue+"
                             + (executable == nil ? "" : ";qXfer:exec-file:read+")])
        }
        if text == "QStartNoAckMode" {
            isNoAckMode = true
            return Response(["OK"])
        }
        if text.hasPrefix("qXfer:features:read:") { return featuresRead(text.dropFirst("qXfer:features:read:".count)) }
        if text.hasPrefix("qXfer:exec-file:read:") { return executableFileName(text.dropFirst("qXfer:exec-file:read:".count)) }
        if text.hasPrefix("vFile:") { return hostIO(text.dropFirst("vFile:".count)) }
        if text == "qfThreadInfo" { return Response(["m01"]) }
        if text == "qsThreadInfo" { return Response(["l"]) }
        if text == "qC" { return Response(["QC01"]) }
        if text.hasPrefix("qAttached") { return Response(["1"]) }
        if text.hasPrefix("qSymbol") { return Response(["OK"]) }
        if text.hasPrefix("qRcmd,") { return monitor(text.dropFirst("qRcmd,".count)) }
        if text == "vCont?" { return Response(["vCont;c;C;s;S"]) }
        if text.hasPrefix("vCont;") { return vCont(text.dropFirst("vCont;".count)) }
        if text.hasPrefix("vKill") { return Response(["OK"], ending: .killed) }
        return Response([""])  // not supported (vMustReplyEmpty, qTStatus, qOffsets …)
    }

    // MARK: Registers

    private func readRegister(_ argument: ArraySlice<UInt8>) -> String {
        guard let number = PacketCoding.number(argument), number < RegisterFileLayout.slots.count else { return "E00" }
        let slot = RegisterFileLayout.slots[Int(number)]
        return PacketCoding.hex(RegisterFileLayout.read(slot, from: machine, fpu: RegisterFileLayout.fpuImage(machine)))
    }

    private func writeRegister(_ argument: ArraySlice<UInt8>) -> String {
        let parts = argument.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let number = PacketCoding.number(parts[0]), number < RegisterFileLayout.slots.count,
              let bytes = PacketCoding.bytes(fromHex: parts[1]) else { return "E00" }
        var image = RegisterFileLayout.fpuImage(machine)
        do {
            try RegisterFileLayout.write(RegisterFileLayout.slots[Int(number)], bytes, to: machine, fpu: &image)
        } catch {
            return "E01"
        }
        if image != RegisterFileLayout.fpuImage(machine) { machine.fxsaveImage = image }
        changedState()
        return "OK"
    }

    private func writeAllRegisters(_ argument: ArraySlice<UInt8>) -> String {
        guard let bytes = PacketCoding.bytes(fromHex: argument), bytes.count <= RegisterFileLayout.totalSize else { return "E00" }
        var image = RegisterFileLayout.fpuImage(machine)
        var offset = 0
        var failed = false
        for slot in RegisterFileLayout.slots {
            let size = RegisterFileLayout.size(of: slot)
            guard offset + size <= bytes.count else { break }  // a shorter G leaves the rest as they are
            do {
                try RegisterFileLayout.write(slot, Array(bytes[offset..<(offset + size)]), to: machine, fpu: &image)
            } catch {
                failed = true
            }
            offset += size
        }
        if image != RegisterFileLayout.fpuImage(machine) { machine.fxsaveImage = image }
        changedState()
        return failed ? "E01" : "OK"
    }

    /// The debugger changed the state: history from here on must include the change.
    private func changedState() {
        halt = nil
        history.checkpoint(force: true)
    }

    // MARK: Memory

    private func addressAndLength(_ text: ArraySlice<UInt8>) -> (address: UInt32, length: Int)? {
        let parts = text.split(separator: UInt8(ascii: ","), maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let address = PacketCoding.number(parts[0]), address <= UInt64(UInt32.max),
              let length = PacketCoding.number(parts[1]), length <= UInt64(Int32.max) else { return nil }
        return (UInt32(address), Int(length))
    }

    private func readMemory(_ argument: ArraySlice<UInt8>) -> String {
        guard let (address, length) = addressAndLength(argument) else { return "E00" }
        guard length <= Self.maximumMemoryRead else { return "E16" }  // EINVAL: more than a packet holds
        guard length > 0 else { return "" }
        let bytes = readableBytes(at: address, count: length)
        return bytes.isEmpty ? "E14" : PacketCoding.hex(bytes)  // EFAULT where nothing is readable
    }

    /// The bytes at `address` up to the first one that cannot be read.
    func readableBytes(at address: UInt32, count: Int) -> [UInt8] {
        if let bytes = try? machine.read(address, count: count) { return bytes }
        var bytes: [UInt8] = []
        for offset in 0..<count {
            guard let byte = try? machine.read(address &+ UInt32(offset), count: 1) else { break }
            bytes += byte
        }
        return bytes
    }

    private func writeMemory(_ argument: ArraySlice<UInt8>, binary: Bool) -> String {
        guard let colon = argument.firstIndex(of: UInt8(ascii: ":")),
              let (address, length) = addressAndLength(argument[argument.startIndex..<colon]) else { return "E00" }
        let data = argument[(colon + 1)...]
        let bytes: [UInt8]
        if binary {
            bytes = PacketCoding.unescape(data)
        } else {
            guard let decoded = PacketCoding.bytes(fromHex: data) else { return "E00" }
            bytes = decoded
        }
        guard bytes.count == length else { return "E00" }
        guard length > 0 else { return "OK" }  // gdb's probe for X
        // Check every byte first, so a failed write changes nothing.
        for offset in 0..<length where offset == 0 || (address &+ UInt32(offset)) & 0xFFF == 0 {
            guard (try? machine.read(address &+ UInt32(offset), count: 1)) != nil else { return "E14" }
        }
        guard (try? machine.read(address &+ UInt32(length - 1), count: 1)) != nil else { return "E14" }
        do {
            try machine.write(bytes, at: address)
        } catch {
            return "E14"
        }
        changedState()
        return "OK"
    }

    // MARK: Breakpoints and watchpoints

    private func breakpoint(_ argument: ArraySlice<UInt8>, insert: Bool) -> String {
        let fields = argument.split(separator: UInt8(ascii: ";"), maxSplits: 1, omittingEmptySubsequences: false)[0]
            .split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
        guard fields.count == 3, let type = PacketCoding.number(fields[0]), let address = PacketCoding.number(fields[1]),
              address <= UInt64(UInt32.max), let kind = PacketCoding.number(fields[2]) else { return "E00" }
        let location = UInt32(address)
        switch type {
        case 0: update(&softwareBreakpoints, location, insert: insert)
        case 1: update(&hardwareBreakpoints, location, insert: insert)
        case 2, 3, 4:
            guard kind >= 1, kind <= UInt64(Self.maximumWatchLength) else { return "E16" }
            let watch = Watchpoint(address: location, length: UInt32(kind), kind: type == 2 ? .write : (type == 3 ? .read : .access))
            update(&watches, watch, insert: insert)
            machine.watchpoints = fixedWatches + watches.keys.sorted { ($0.address, $0.length) < ($1.address, $1.length) }
            return "OK"
        default: return ""  // not supported
        }
        machine.breakpoints = fixedBreakpoints.union(softwareBreakpoints.keys).union(hardwareBreakpoints.keys)
        return "OK"
    }

    private func update<Key: Hashable>(_ counts: inout [Key: Int], _ key: Key, insert: Bool) {
        if insert {
            counts[key, default: 0] += 1
        } else if let count = counts[key] {
            counts[key] = count > 1 ? count - 1 : nil
        }
    }

    // MARK: Running

    private func vCont(_ actions: Substring) -> Response {
        // Actions apply to threads; the first one for thread 1 (or for all) decides.
        for action in actions.split(separator: ";") {
            let parts = action.split(separator: ":", maxSplits: 1)
            if parts.count == 2 {
                let thread = parts[1].split(separator: ".").last.map(String.init) ?? ""
                guard thread == "1" || thread == "01" || thread == "-1" || thread == "0" else { continue }
            }
            switch parts[0].first {
            case "c", "C": return resume(step: false, address: nil)
            case "s", "S": return resume(step: true, address: nil)
            default: continue
            }
        }
        return Response(["E00"])
    }

    private func resume(step: Bool, address: ArraySlice<UInt8>?) -> Response {
        if let address {
            guard let value = PacketCoding.number(address), value <= UInt64(UInt32.max) else { return Response(["E00"]) }
            machine.eip = UInt32(value)
            changedState()
        }
        if let halt, halt.eip == machine.eip, halt.position == machine.position {
            return stopped(.halted)  // a CPU halted with nothing to wake it stays halted
        }
        runControl?.runWillStart()
        let reason: StopReason?
        if var tracer {
            reason = step ? history.step(observer: &tracer) : history.run(limit: stepLimit, until: nil, observer: &tracer)
        } else {
            var none = NoObserver()
            reason = step ? history.step(observer: &none) : history.run(limit: stepLimit, until: nil, observer: &none)
        }
        runControl?.runDidEnd()
        afterRun?()
        return stopped(reason)
    }

    private func reverse(step: Bool) -> Response {
        runControl?.runWillStart()
        let outcome = step ? history.stepBack() : history.continueBack()
        runControl?.runDidEnd()
        afterRun?()
        halt = nil
        switch outcome {
        case .beginning:
            lastStop = StopReply.packet(signal: .trap, reason: "replaylog:begin;", machine: machine)
            return Response([lastStop])
        case .interrupted:
            return stopped(.stopRequested)
        case .stopped(let reason):
            return stopped(reason)
        }
    }

    /// The stop reply for a run that ended with `reason` (nil: a step that ended normally),
    /// with a console line (`O`) first when gdb would not otherwise say why.
    private func stopped(_ reason: StopReason?) -> Response {
        var note: String?
        var signal = StopReply.Signal.trap
        var fields = ""
        halt = nil
        switch reason {
        case nil, .stepLimit?, .reachedUntil?:
            if reason == .stepLimit && stepLimit != nil { note = "kstep: the step limit was reached" }
        case .breakpoint(let address)?:
            fields = softwareBreakpoints[address] != nil ? "swbreak:;" : (hardwareBreakpoints[address] != nil ? "hwbreak:;" : "")
        case .watchpoint(let hit)?:
            let kind = switch hit.watchpoint.kind {
            case .write: "watch"
            case .read: "rwatch"
            case .access: "awatch"
            }
            fields = "\(kind):\(String(hit.watchpoint.address, radix: 16));"
        case .stopRequested?:
            signal = .interrupt
        case .exception(let exception)?:
            signal = StopReply.signal(forVector: exception.vector)
            note = machine.hasIDT ? "kstep: caught \(exception) at \(describe(machine.eip)); continue delivers it"
                : "kstep: \(exception) at \(describe(machine.eip)) with no IDT to deliver it"
        case .tripleFault?:
            signal = .segmentationFault
            note = "kstep: triple fault at \(describe(machine.eip))"
        case .halted?:
            halt = (machine.eip, machine.position)
            note = "kstep: hlt with nothing to wake the CPU (interrupts off or no device); it stays halted"
        case .endOfCode?:
            note = "kstep: the end of the snippet"
        case .reset?:
            note = "kstep: the platform reset the CPU"
        }
        lastStop = StopReply.packet(signal: signal, reason: fields, machine: machine)
        var packets: [String] = []
        if let note { packets.append("O" + PacketCoding.hex(Array((note + "\n").utf8))) }
        packets.append(lastStop)
        return Response(packets)
    }

    func describe(_ address: UInt32) -> String {
        guard let place = symbols.locate(address) else { return "0x" + String(address, radix: 16) }
        return "0x" + String(address, radix: 16) + (place.offset == 0 ? " <\(place.name)>" : " <\(place.name)+\(place.offset)>")
    }

    // MARK: Target description

    private func featuresRead(_ request: Substring) -> Response {
        // target.xml:OFFSET,LENGTH
        let parts = request.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, parts[0] == "target.xml" else { return Response(["E00"]) }
        let numbers = parts[1].split(separator: ",")
        guard numbers.count == 2, let offset = PacketCoding.number(Array(numbers[0].utf8)),
              let length = PacketCoding.number(Array(numbers[1].utf8)) else { return Response(["E00"]) }
        return Response(bytes: TargetDescription.reply(offset: Int(clamping: offset), length: Int(clamping: length)))
    }

    // MARK: Monitor

    private func monitor(_ hexCommand: Substring) -> Response {
        guard let bytes = PacketCoding.bytes(fromHex: Array(hexCommand.utf8)) else { return Response(["E00"]) }
        let output = runMonitorCommand(String(decoding: bytes, as: UTF8.self))
        let encoded = PacketCoding.hex(Array(output.utf8))
        if encoded.count < Self.packetSize - 16 { return Response([encoded.isEmpty ? "OK" : encoded]) }
        // Long output: console packets, then OK.
        var packets: [String] = []
        var start = encoded.startIndex
        while start < encoded.endIndex {
            let end = encoded.index(start, offsetBy: 4096, limitedBy: encoded.endIndex) ?? encoded.endIndex
            packets.append("O" + encoded[start..<end])
            start = end
        }
        return Response(packets + ["OK"])
    }
}

/// Brackets the runs a session makes, so that an interrupt from the
/// debugger (Ctrl-C, read on another thread) stops the run in progress.
public protocol RunControl: AnyObject {
    /// A run is about to start.
    func runWillStart()
    /// The run ended.
    func runDidEnd()
}
