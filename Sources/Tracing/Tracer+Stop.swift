import I386
import Images

/// How a trace ends: JSONL's last record states the stop reason, and a trace
/// cut short by its record limit says so.
extension Tracer {
    /// True when the record limit cut the trace short: an instruction that would
    /// have been recorded ran after the last record.
    public var wasTruncated: Bool { progress.pointee.missedRecords }

    /// How many instruction records the trace holds.
    public var recordCount: Int { records }

    /// Writes the stop record (JSONL: `{"stop": {…}, "steps": N}`, the same
    /// `stop` object as `kstep run --final json`), then what is still buffered.
    /// Call once after the run, instead of `finish()`.
    public func finish(stoppedBy reason: StopReason, machine: Machine) {
        if configuration.format == .jsonl {
            scratch.removeAll()
            let place = Self.stopAddress(reason, machine: machine)
            scratch.appendString("{\"stop\":" + Self.stopObject(reason, eip: place, symbols: symbols, machine: machine)
                                 + ",\"steps\":\(machine.instructionCount)}\n")
            recordScratchLine()
        }
        finish()
    }

    /// Where a run that ended for `reason` stopped: the hlt instruction itself for
    /// `hlt` (eip has moved past it, and the next address may be another function),
    /// else eip (the faulting instruction, the next one to run, or the end of a snippet).
    public static func stopAddress(_ reason: StopReason, machine: Machine) -> UInt32 {
        let eip = machine.eip
        if reason == .halted, let byte = try? machine.read(eip &- 1, count: 1), byte.first == 0xF4 { return eip &- 1 }
        return eip
    }

    /// The `stop` object of a run that ended for `reason` at `eip`, as compact JSON.
    public static func stopObject(_ reason: StopReason, eip: UInt32, symbols: SymbolTable, machine: Machine) -> String {
        var fields: [(String, String)] = [("reason", StaticInfo.jsonQuoted(reason.name)), ("eip", quotedHex(eip))]
        if let place = symbols.locate(eip) {
            let text = place.offset == 0 ? place.name : "\(place.name)+0x\(String(place.offset, radix: 16))"
            fields.append(("symbol", StaticInfo.jsonQuoted(text)))
        }
        switch reason {
        case .exception(let exception):
            fields.append(("exception", StaticInfo.jsonQuoted(exception.mnemonic)))
            fields.append(("vector", "\(exception.vector)"))
            if let code = exception.errorCode { fields.append(("error_code", quotedHex(code))) }
            if case .pageFault(let address, _) = exception { fields.append(("address", quotedHex(address))) }
            fields.append(("message", StaticInfo.jsonQuoted(exception.description)))
        case .breakpoint(let address):
            fields.append(("address", quotedHex(address)))
        default:
            break
        }
        fields += StopExplanation(reason, machine: machine, at: eip, symbols: symbols).jsonMembers
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    private static func quotedHex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "\"0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits + "\""
    }

    /// The instruction at `address` as text (branch targets named) and bytes, for exception records.
    func instruction(at address: UInt32, machine: Machine) -> (text: String, bytes: [UInt8])? {
        var bytes: [UInt8] = []
        for offset in 0..<15 {
            guard let byte = try? machine.read(address &+ UInt32(offset), count: 1) else { break }
            bytes += byte
        }
        guard let decoded = try? decoder.decode(bytes, address: address) else { return nil }
        return (symbols.annotatedText(decoded), decoded.bytes)
    }
}
