import I386
import Images
import Tracing

/// The state at the end of a run, as JSON or as a human summary.
struct FinalState {
    let machine: Machine
    /// What the guest wrote to the debug console.
    let console: [UInt8]
    /// What a booted PC's COM1 transmitted, when it is not on standard output.
    var serial: [UInt8]? = nil
    let reason: StopReason
    let symbols: SymbolTable
    /// Memory to include: (address, length, bytes).
    let dumps: [(address: UInt32, bytes: [UInt8])]

    static let generalRegisters = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"]
    static let segmentRegisters = ["cs", "ds", "es", "fs", "gs", "ss"]

    private func value(_ name: String) -> UInt32 { (try? machine.register(named: name)) ?? 0 }

    /// One JSON object (schema in the README).
    func json() -> String {
        let stopAddress = Tracer.stopAddress(reason, machine: machine)
        var stop: [(String, String)] = [("reason", quoted(reason.name)), ("eip", quoted(hex32(stopAddress)))]
        if let place = symbols.locate(stopAddress) {
            stop.append(("symbol", quoted(place.offset == 0 ? place.name : "\(place.name)+0x\(String(place.offset, radix: 16))")))
        }
        switch reason {
        case .exception(let exception):
            stop.append(("exception", quoted(exception.mnemonic)))
            stop.append(("vector", "\(exception.vector)"))
            if let code = exception.errorCode { stop.append(("error_code", quoted(hex32(code)))) }
            if case .pageFault(let address, _) = exception { stop.append(("address", quoted(hex32(address)))) }
            stop.append(("message", quoted(exception.description)))
        case .breakpoint(let address):
            stop.append(("address", quoted(hex32(address))))
        case .watchpoint(let hit):
            var watch: [(String, String)] = [
                ("address", quoted(hex32(hit.watchpoint.address))), ("length", "\(hit.watchpoint.length)"),
                ("access", quoted(hit.isWrite ? "write" : "read")),
                ("instruction", quoted(hex32(hit.instructionAddress))),
            ]
            if let place = symbols.locate(hit.instructionAddress) {
                watch.append(("instruction_symbol", quoted(place.offset == 0 ? place.name : "\(place.name)+0x\(String(place.offset, radix: 16))")))
            }
            watch.append(("old", quoted(hit.oldBytes.map { byteHex($0) }.joined())))
            watch.append(("new", quoted(hit.newBytes.map { byteHex($0) }.joined())))
            stop.append(("watch", object(watch)))
        default:
            break
        }
        stop += StopExplanation(reason, machine: machine, at: stopAddress, symbols: symbols).jsonMembers
        var registers: [(String, String)] = Self.generalRegisters.map { ($0, quoted(hex32(value($0)))) }
        registers.append(("eip", quoted(hex32(machine.eip))))
        registers.append(("eflags", quoted(hex32(machine.eflags))))
        registers += Self.segmentRegisters.map { ($0, quoted(hex32(value($0)))) }
        registers += ["cr0", "cr2", "cr3", "cr4"].map { ($0, quoted(hex32(value($0)))) }
        let memory = dumps.map { dump in
            object([("address", quoted(hex32(dump.address))), ("length", "\(dump.bytes.count)"),
                    ("hex", quoted(dump.bytes.map { byteHex($0) }.joined()))])
        }
        var fields: [(String, String)] = [
            ("stop", object(stop)),
            ("steps", "\(machine.instructionCount)"),
            ("registers", object(registers)),
            ("console", quoted(String(decoding: console, as: UTF8.self))),
        ]
        if let serial { fields.append(("serial", quoted(String(decoding: serial, as: UTF8.self)))) }
        fields.append(("memory", "[" + memory.joined(separator: ", ") + "]"))
        if let unmodelled = unmodelledAccesses {
            fields.append(("unmodelled", object([
                ("port_reads", "\(unmodelled.portReads)"), ("port_writes", "\(unmodelled.portWrites)"),
                ("ports", "[" + unmodelled.ports.map { quoted(portHex($0)) }.joined(separator: ", ") + "]"),
                ("memory_reads", "\(unmodelled.memoryReads)"), ("memory_writes", "\(unmodelled.memoryWrites)"),
            ])))
        }
        return object(fields)
    }

    /// What the guest touched that nothing models (ports that read as all ones, physical
    /// addresses of an open bus), or nil when it touched nothing of the kind.
    private var unmodelledAccesses: (portReads: Int, portWrites: Int, ports: [UInt16],
                                     memoryReads: Int, memoryWrites: Int)? {
        let ports = machine.ports, memory = machine.physicalMemory
        guard ports.unmodelledReads + ports.unmodelledWrites + memory.unbackedReads + memory.unbackedWrites > 0
        else { return nil }
        return (ports.unmodelledReads, ports.unmodelledWrites, ports.unmodelledPorts,
                memory.unbackedReads, memory.unbackedWrites)
    }

    /// A short human summary: stop reason, steps, registers, console.
    func summary() -> String {
        var lines: [String] = []
        let stopAddress = Tracer.stopAddress(reason, machine: machine)
        var place = hex32(stopAddress)
        if let symbol = symbols.locate(stopAddress) {
            place += symbol.offset == 0 ? " <\(symbol.name)>" : " <\(symbol.name)+0x\(String(symbol.offset, radix: 16))>"
        }
        let count = machine.instructionCount
        let explanation = StopExplanation(reason, machine: machine, at: stopAddress, symbols: symbols)
        lines.append("stopped: \(explanation.reasonText) at \(place) after \(count) instruction\(count == 1 ? "" : "s")")
        lines += explanation.summaryLines
        if case .watchpoint(let hit) = reason {
            var instruction = machine.describe(hit.instructionAddress)
            if let symbol = symbols.locate(hit.instructionAddress) {
                instruction += symbol.offset == 0 ? " <\(symbol.name)>" : " <\(symbol.name)+0x\(String(symbol.offset, radix: 16))>"
            }
            lines.append("written by \(instruction)")
        }
        let general = Self.generalRegisters.map { "\($0)=\(hex32(value($0)))" }
        lines.append(general[0..<4].joined(separator: " "))
        lines.append(general[4..<8].joined(separator: " "))
        lines.append("eip=\(hex32(machine.eip)) eflags=\(hex32(machine.eflags)) [\(flagLetters(machine.eflags))]")
        lines.append(Self.segmentRegisters.map { "\($0)=\(hex32(value($0)))" }.joined(separator: " "))
        if !console.isEmpty {
            lines.append("console:")
            lines.append(String(decoding: console, as: UTF8.self).trimmingTrailingNewlines())
        }
        if let serial, !serial.isEmpty {
            lines.append("serial:")
            lines.append(String(decoding: serial, as: UTF8.self).trimmingTrailingNewlines())
        }
        for dump in dumps {
            lines.append("\(hex32(dump.address)): " + dump.bytes.map { byteHex($0) }.joined(separator: " "))
        }
        if let unmodelled = unmodelledAccesses {
            var line = "unmodelled: \(unmodelled.portReads) port reads and \(unmodelled.portWrites) writes"
            if !unmodelled.ports.isEmpty {
                line += " (ports " + unmodelled.ports.map(portHex).joined(separator: ", ") + ")"
            }
            line += ", \(unmodelled.memoryReads) reads and \(unmodelled.memoryWrites) writes of unbacked memory"
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}


func byteHex(_ byte: UInt8) -> String {
    byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
}

/// A JSON string literal.
func quoted(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                let digits = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
    }
    return result + "\""
}

/// A JSON object with keys in the given order.
func object(_ members: [(String, String)]) -> String {
    "{" + members.map { "\(quoted($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var text = Substring(self)
        while text.last == "\n" { text.removeLast() }
        return String(text)
    }
}

/// A port number as `0x` and four hex digits.
func portHex(_ port: UInt16) -> String {
    let digits = String(port, radix: 16)
    return "0x" + String(repeating: "0", count: 4 - digits.count) + digits
}
