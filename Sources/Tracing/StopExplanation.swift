import I386
import Images
import X86Decoding

/// Why a run stopped, explained: the exception's SDM name and decoded cause,
/// the instruction at the stop (text and bytes), a triple fault's chain, and a
/// hint when the input looks like a Linux user program. Shared by `kstep run`'s
/// summary and `--final json` and by the JSONL stop record.
public struct StopExplanation {
    /// "exception #GP (General Protection) error code 0x402", "hlt", "triple-fault", …
    public let reasonText: String
    /// The SDM name of the exception that stopped the run.
    public let exceptionName: String?
    /// The error code decoded into one line.
    public let cause: String?
    /// The instruction at the stop address (exceptions and triple faults), and its bytes.
    public let instruction: String?
    public let bytes: [UInt8]
    /// A triple fault's exceptions, each as `CPUException.summary`.
    public let chain: [String]
    /// What the stop suggests about the input.
    public let hint: String?

    public init(_ reason: StopReason, machine: Machine, at address: UInt32, symbols: SymbolTable) {
        var exception: CPUException?
        switch reason {
        case .exception(let raised):
            exception = raised
            reasonText = "exception \(raised.summary)"
        default:
            reasonText = reason.description
        }
        exceptionName = exception?.name
        cause = exception?.cause(idtLimit: machine.idtr.limit)
        if case .tripleFault = reason {
            chain = machine.tripleFaultChain.map(\.summary)
        } else {
            chain = []
        }
        var text: String?
        var bytes: [UInt8] = []
        if exception != nil || reason == .tripleFault {
            for offset in 0..<15 {
                guard let byte = try? machine.read(address &+ UInt32(offset), count: 1) else { break }
                bytes += byte
            }
            if let decoder = try? X86Decoder(syntax: .att), let decoded = try? decoder.decode(bytes, address: address) {
                text = symbols.annotatedText(decoded)
                bytes = decoded.bytes
            } else {
                bytes = []
            }
        }
        instruction = text
        self.bytes = bytes
        if case .generalProtection(let code) = exception, code & 3 == 2, code >> 3 == 0x80, !machine.hasIDT {
            hint = "int $0x80 is the Linux system call: this looks like a Linux user program, and kstep runs kernel code "
                + "on a bare CPU with no Linux under it (load an IDT with a handler for vector 0x80 to take the call)"
        } else {
            hint = nil
        }
    }

    /// The bytes as spaced hex: "cd 80".
    public var spacedBytes: String { bytes.map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined(separator: " ") }
    /// The bytes as hex: "cd80".
    public var hexBytes: String { bytes.map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined() }

    /// The lines after the stop line of a summary: instruction, cause, chain, hint.
    public var summaryLines: [String] {
        var lines: [String] = []
        if let instruction { lines.append("instruction: \(instruction) (\(spacedBytes))") }
        if let cause { lines.append("cause: \(cause)") }
        if !chain.isEmpty { lines.append("chain: " + chain.joined(separator: " -> ") + " -> triple fault") }
        if let hint { lines.append("hint: \(hint)") }
        return lines
    }

    /// The explanation's members of a JSON `stop` object, values already JSON (quoted strings, arrays).
    public var jsonMembers: [(String, String)] {
        var members: [(String, String)] = []
        if let exceptionName { members.append(("name", StaticInfo.jsonQuoted(exceptionName))) }
        if let cause { members.append(("cause", StaticInfo.jsonQuoted(cause))) }
        if let instruction {
            members.append(("instruction", StaticInfo.jsonQuoted(instruction)))
            members.append(("bytes", StaticInfo.jsonQuoted(hexBytes)))
        }
        if !chain.isEmpty { members.append(("chain", "[" + chain.map { StaticInfo.jsonQuoted($0) }.joined(separator: ", ") + "]")) }
        if let hint { members.append(("hint", StaticInfo.jsonQuoted(hint))) }
        return members
    }
}
