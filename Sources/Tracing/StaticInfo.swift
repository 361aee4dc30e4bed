import Images
import X86Decoding

/// Per-address parts of a record, preformatted once: `"eip":…,"asm":…` for
/// JSONL and the address/bytes/assembly columns for text, kept in a byte
/// arena behind a direct-mapped table (no per-record allocation or refcounting).
///
/// The arena grows by whole chunks and never moves or reuses bytes on its own,
/// so records queued for the JSONL formatter thread may point into it.
final class StaticInfoCache {
    fileprivate struct Stored {
        var address: UInt32 = 0
        var isValid = false
        var marks = InstructionMarks()
        var json: UnsafePointer<UInt8>
        var jsonLength = 0
        var text: UnsafePointer<UInt8>
        var textLength = 0
    }

    /// An instruction's entry, read in place in the table: a copy of it would
    /// be written and read back in other widths (a store-forwarding stall).
    /// Valid until the next lookup.
    struct Entry {
        fileprivate let stored: UnsafePointer<Stored>
        /// What the kernel events need to know about the instruction.
        var marks: InstructionMarks { stored.pointee.marks }
        var isHalt: Bool { stored.pointee.marks.contains(.halt) }
        var json: UnsafePointer<UInt8> { stored.pointee.json }
        var jsonLength: Int { stored.pointee.jsonLength }
        var text: UnsafePointer<UInt8> { stored.pointee.text }
        var textLength: Int { stored.pointee.textLength }
    }

    private static let slots = 1 << 14
    private static let chunkSize = 1 << 16
    /// Arena bytes past which `removeAll(reclaiming:)` is worth a reclaim.
    static let reclaimThreshold = 1 << 24
    private let entries: UnsafeMutablePointer<Stored>
    /// The arena's chunks, the current one last; each has 16 spare bytes past its capacity for `copyPadded`.
    private var chunks: [UnsafeMutablePointer<UInt8>]
    private var chunkUsed = 0
    private var chunkCapacity = StaticInfoCache.chunkSize
    /// Bytes in every chunk but the current one.
    private var retiredBytes = 0
    private var overflow: [UInt32: Stored] = [:]

    init() {
        let first = UnsafeMutablePointer<UInt8>.allocate(capacity: Self.chunkSize + 16)
        first.initialize(repeating: 0, count: Self.chunkSize + 16)
        chunks = [first]
        entries = .allocate(capacity: Self.slots)
        entries.initialize(repeating: Stored(json: first, text: first), count: Self.slots)
    }

    deinit {
        entries.deallocate()
        for chunk in chunks { chunk.deallocate() }
    }

    /// Bytes the arena holds.
    var arenaBytes: Int { retiredBytes + chunkUsed }

    /// Forgets every entry (the code they describe was rewritten). With
    /// `reclaiming`, the arena's bytes are reused too: only when nothing
    /// still points into them.
    func removeAll(reclaiming: Bool) {
        if reclaiming, let current = chunks.last {
            for chunk in chunks.dropLast() { chunk.deallocate() }
            chunks = [current]
            chunkUsed = 0
            retiredBytes = 0
        }
        entries.update(repeating: Stored(json: chunks[0], text: chunks[0]), count: Self.slots)
        overflow.removeAll()
    }

    /// The cached entry for `address`, if any (the hot path: no closure, no allocation).
    @inline(__always)
    func lookup(_ address: UInt32) -> Entry? {
        let slot = entries + Int((address ^ (address >> 14)) & UInt32(Self.slots - 1))
        return slot.pointee.isValid && slot.pointee.address == address ? Entry(stored: slot) : nil
    }

    private func store(_ bytes: [UInt8]) -> UnsafePointer<UInt8> {
        if chunkUsed + bytes.count > chunkCapacity {
            let capacity = max(Self.chunkSize, bytes.count)
            let chunk = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity + 16)
            chunk.initialize(repeating: 0, count: capacity + 16)
            chunks.append(chunk)
            retiredBytes += chunkUsed
            chunkUsed = 0
            chunkCapacity = capacity
        }
        let start = chunks[chunks.count - 1] + chunkUsed
        start.update(from: bytes, count: bytes.count)
        chunkUsed += bytes.count
        return UnsafePointer(start)
    }

    /// The entry for `address`, building it with `make` on first sight.
    func entry(for address: UInt32, make: () -> (json: [UInt8], text: [UInt8], marks: InstructionMarks)) -> Entry {
        let slot = entries + Int((address ^ (address >> 14)) & UInt32(Self.slots - 1))
        let cached = slot.pointee
        if cached.isValid && cached.address == address { return Entry(stored: slot) }
        if cached.isValid { overflow[cached.address] = cached }
        if let other = overflow.removeValue(forKey: address) {
            slot.pointee = other
        } else {
            let made = make()
            slot.pointee = Stored(address: address, isValid: true, marks: made.marks,
                                  json: store(made.json), jsonLength: made.json.count,
                                  text: store(made.text), textLength: made.text.count)
        }
        return Entry(stored: slot)
    }
}

/// Builds the preformatted parts of an instruction's records.
enum StaticInfo {
    static func make(address: UInt32, bytes: [UInt8], decoder: X86Decoder, symbols: SymbolTable,
                     textAddressWidth: Int, rules: InstructionMarks.Rules = .init()) -> (json: [UInt8], text: [UInt8], marks: InstructionMarks) {
        let instruction = try? decoder.decode(bytes, address: address)
        let length = instruction?.length ?? min(bytes.count, 1)
        let symbol = symbols.locate(address).map { place in
            place.offset == 0 ? place.name : "\(place.name)+0x\(String(place.offset, radix: 16))"
        }
        let bytesHex = bytes.prefix(length).map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        let assembly = instruction.map { symbols.annotatedText($0) } ?? "(bad)"
        let eip = hex8(address)
        var json = ",\"eip\":\"0x\(eip)\",\"sym\":"
        json += symbol.map { jsonQuoted($0) } ?? "null"
        json += ",\"bytes\":\"\(bytesHex)\",\"asm\":\(jsonQuoted(assembly)),\"regs\":{"
        var location = eip
        if let symbol { location += " <\(symbol)>" }
        let text = location.padded(to: textAddressWidth) + " " + bytesHex.padded(to: 15) + " " + assembly.padded(to: 33) + " "
        var marks = InstructionMarks()
        if instruction?.mnemonic == .hlt { marks.insert(.halt) }
        if let instruction, instruction.mnemonic == .int, instruction.operands.first?.immediate == Int64(rules.systemCallVector) {
            marks.insert(.systemCall)
        }
        if rules.stackSwitch == address { marks.insert(.stackSwitch) }
        if rules.kernelFunctions.contains(address) { marks.insert(.kernelFunction) }
        return (Array(json.utf8), Array(text.utf8), marks)
    }

    static func jsonQuoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            default:
                if scalar.value < 0x20 {
                    result += "\\u00" + (scalar.value < 16 ? "0" : "") + String(scalar.value, radix: 16)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}

extension String {
    func padded(to width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}

/// What the tracer's kernel events need to know about an instruction, found
/// once when it is first disassembled: an instruction with no mark and no
/// register or memory change an event watches has no events.
struct InstructionMarks: OptionSet {
    let rawValue: UInt8

    /// hlt.
    static let halt = InstructionMarks(rawValue: 1)
    /// `int` with the kernel's system-call vector.
    static let systemCall = InstructionMarks(rawValue: 2)
    /// The kernel's context-switch stack load (xv6: swtch's `mov %edx,%esp`).
    static let stackSwitch = InstructionMarks(rawValue: 4)
    /// The first instruction of a kernel function whose entry is an event (`Linux26.TracedFunction`).
    static let kernelFunction = InstructionMarks(rawValue: 8)

    /// What marks an instruction, from the kernel profile.
    struct Rules {
        var systemCallVector: UInt8 = 0x80
        var stackSwitch: UInt32?
        /// Entry addresses of the image's `Linux26.TracedFunction`s.
        var kernelFunctions: Set<UInt32> = []
    }
}
