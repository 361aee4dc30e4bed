import Foundation
import I386
import Images
import KernelModel
import X86Decoding

/// Prints one line per executed instruction: step, eip with symbol+offset,
/// disassembly, the registers it changed (old → new, EFLAGS also as flag
/// letters), its memory writes, and kernel events: which task is `current`
/// (esp masked by THREAD_SIZE → thread_info.task → comm and pid) whenever it
/// changes, and exceptions.
public struct TextTracer: ExecutionObserver {
    private let symbols: SymbolTable
    private let decoder: X86Decoder
    private let threadSize: UInt32
    private var texts: [UInt32: String] = [:]
    private var before: RegisterSnapshot?
    private var step = 0
    private var lastThreadInfo: UInt32?
    private var output = TraceOutput()
    /// Records to print at most (nil: all).
    private let limit: Int?

    public var observesMemoryWrites: Bool { true }

    public init(symbols: SymbolTable, syntax: AssemblySyntax = .att, threadSize: UInt32 = Linux26.threadSize,
                limit: Int? = nil) throws(DecoderSetupError) {
        self.symbols = symbols
        self.decoder = try X86Decoder(syntax: syntax)
        self.threadSize = threadSize
        self.limit = limit
    }

    private var isRecording: Bool { limit.map { step < $0 } ?? true }

    public mutating func willExecute(_ machine: Machine) {
        guard isRecording else { return }
        before = RegisterSnapshot(machine)
        noteCurrent(machine)
    }

    public mutating func didExecute(_ machine: Machine, instructionAddress: UInt32, writes: [MemoryWrite]) {
        guard isRecording, let before else {
            step += 1
            return
        }
        step += 1
        var line = String(step).leftPadded(to: 7) + "  " + location(instructionAddress).rightPadded(to: 34)
        line += " " + text(at: instructionAddress, machine: machine).rightPadded(to: 34)
        var changes: [String] = []
        for change in before.changes(to: RegisterSnapshot(machine)) {
            var entry = "\(change.name)=\(hex8(change.new))"
            if change.name == "eflags" { entry += "[\(flagLetters(change.new))]" }
            changes.append(entry)
        }
        for write in writes {
            changes.append("[\(hex8(write.address))]\(write.size)=\(hexBytes(write.newValue, size: Int(write.size)))")
        }
        output.write(line + changes.joined(separator: " ") + "\n")
        self.before = nil
    }

    public mutating func didRaise(_ machine: Machine, exception: CPUException, instructionAddress: UInt32,
                                  delivered: Bool, writes: [MemoryWrite]) {
        guard isRecording else { return }
        var line = "        -- \(exception) at \(location(instructionAddress))"
        if delivered {
            line += ", delivered: cs:eip \(hex8(UInt32(machine.segments[SegmentName.cs.rawValue].selector))):\(location(machine.eip)), frame"
            for write in writes { line += " [\(hex8(write.address))]\(write.size)=\(hexBytes(write.newValue, size: Int(write.size)))" }
        }
        output.write(line + "\n")
        before = nil
    }

    /// Writes whatever is buffered.
    public mutating func finish() { output.flush() }

    /// Emits a `current` line when esp has moved to another thread_union.
    private mutating func noteCurrent(_ machine: Machine) {
        let threadInfo = machine.gpr(4) & Linux26.currentMask(threadSize: threadSize)
        guard threadInfo != lastThreadInfo else { return }
        lastThreadInfo = threadInfo
        if machine.cpl == 3 {
            output.write("        -- ring 3: esp \(hex8(machine.gpr(4))) is a user stack (current applies in the kernel)\n")
            return
        }
        guard let task = try? machine.memory.word(at: threadInfo &+ Linux26.ThreadInfo.task), task != 0,
              let pidWord = try? machine.memory.word(at: task &+ Linux26.TaskStruct.pid),
              let commBytes = try? machine.read(task &+ Linux26.TaskStruct.comm, count: Int(Linux26.TaskStruct.commLength))
        else {
            output.write("        -- current: thread_info \(hex8(threadInfo)) (no task)\n")
            return
        }
        let comm = String(decoding: commBytes.prefix(while: { $0 != 0 }), as: UTF8.self)
        let name = symbols.locate(task).map { $0.offset == 0 ? " <\($0.name)>" : "" } ?? ""
        output.write("        -- current: \(comm) (pid \(pidWord)), task \(hex8(task))\(name), thread_info \(hex8(threadInfo))\n")
    }

    private func location(_ address: UInt32) -> String {
        symbols.label(for: address).map { hex8(address) + " " + $0 } ?? hex8(address)
    }

    private mutating func text(at address: UInt32, machine: Machine) -> String {
        if let known = texts[address] { return known }
        let bytes = (try? machine.read(address, count: 15)) ?? (try? machine.read(address, count: 1)) ?? []
        let decoded = (try? decoder.decode(bytes, address: address)).map { symbols.annotatedText($0) } ?? "(bad)"
        texts[address] = decoded
        return decoded
    }
}

/// A buffered writer to standard output.
struct TraceOutput {
    private var buffer: [UInt8] = []

    mutating func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count > 1 << 16 { flush() }
    }

    mutating func flush() {
        guard !buffer.isEmpty else { return }
        FileHandle.standardOutput.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
}

func hex8(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}

func hexBytes(_ value: UInt64, size: Int) -> String {
    (0..<size).map { index in
        let byte = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))
        return byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
    }.joined()
}

/// The arithmetic and control flags set in an EFLAGS value, as letters.
public func flagLetters(_ flags: UInt32) -> String {
    let names: [(UInt32, String)] = [(EFLAGS.cf, "CF"), (EFLAGS.pf, "PF"), (EFLAGS.af, "AF"), (EFLAGS.zf, "ZF"),
                                     (EFLAGS.sf, "SF"), (EFLAGS.tf, "TF"), (EFLAGS.if, "IF"), (EFLAGS.df, "DF"),
                                     (EFLAGS.of, "OF")]
    return names.filter { flags & $0.0 != 0 }.map(\.1).joined(separator: " ")
}

extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
    func rightPadded(to width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
