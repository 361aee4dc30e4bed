import Images
import X86Decoding

/// Per-address parts of a record, preformatted once: `"eip":…,"asm":…` for
/// JSONL and the address/bytes/assembly columns for text, kept in one byte
/// arena behind a direct-mapped table (no per-record allocation or refcounting).
struct StaticInfoCache {
    struct Entry {
        var address: UInt32 = 0
        var isValid = false
        var isHalt = false
        var jsonStart = 0, jsonLength = 0
        var textStart = 0, textLength = 0
    }

    private static let slots = 1 << 14
    private let entries: UnsafeMutablePointer<Entry> = {
        let pointer = UnsafeMutablePointer<Entry>.allocate(capacity: 1 << 14)
        pointer.initialize(repeating: Entry(), count: 1 << 14)
        return pointer
    }()
    /// The preformatted bytes, with 16 spare bytes past `arenaCapacity` for `copyPadded`.
    private var arena = UnsafeMutablePointer<UInt8>.allocate(capacity: (1 << 16) + 16)
    private var arenaCount = 0
    private var arenaCapacity = 1 << 16
    private var overflow: [UInt32: Entry] = [:]

    /// Forgets every entry (the code they describe was rewritten).
    mutating func removeAll() {
        entries.update(repeating: Entry(), count: Self.slots)
        overflow.removeAll()
        arenaCount = 0
    }

    /// The cached entry for `address`, if any (the hot path: no closure, no allocation).
    @inline(__always)
    func lookup(_ address: UInt32) -> Entry? {
        let cached = entries[Int((address ^ (address >> 14)) & UInt32(Self.slots - 1))]
        return cached.isValid && cached.address == address ? cached : nil
    }

    private mutating func store(_ bytes: [UInt8]) -> Int {
        if arenaCount + bytes.count > arenaCapacity {
            let capacity = max(arenaCapacity * 2, arenaCount + bytes.count)
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity + 16)
            grown.update(from: arena, count: arenaCount)
            arena.deallocate()
            arena = grown
            arenaCapacity = capacity
        }
        let start = arenaCount
        (arena + start).update(from: bytes, count: bytes.count)
        arenaCount += bytes.count
        return start
    }

    /// The entry for `address`, building it with `make` on first sight.
    mutating func entry(for address: UInt32, make: () -> (json: [UInt8], text: [UInt8], isHalt: Bool)) -> Entry {
        let slot = Int((address ^ (address >> 14)) & UInt32(Self.slots - 1))
        let cached = entries[slot]
        if cached.isValid && cached.address == address { return cached }
        if let other = overflow[address] {
            if cached.isValid { overflow[cached.address] = cached }
            entries[slot] = other
            return other
        }
        let made = make()
        var entry = Entry(address: address, isValid: true, isHalt: made.isHalt)
        entry.jsonStart = store(made.json)
        entry.jsonLength = made.json.count
        entry.textStart = store(made.text)
        entry.textLength = made.text.count
        if cached.isValid { overflow[cached.address] = cached }
        entries[slot] = entry
        return entry
    }

    /// Appends `length` arena bytes from `start` to the sink.
    @inline(__always)
    func write(start: Int, length: Int, to sink: ByteSink) {
        sink.append(arena + start, count: length)
    }

    /// Writes `length` arena bytes from `start`; the reservation must cover `length` + 15.
    @inline(__always)
    func write(start: Int, length: Int, to cursor: inout SinkCursor) {
        cursor.copyPadded(arena + start, count: length)
    }
}

/// Builds the preformatted parts of an instruction's records.
enum StaticInfo {
    static func make(address: UInt32, bytes: [UInt8], decoder: X86Decoder, symbols: SymbolTable,
                     textAddressWidth: Int) -> (json: [UInt8], text: [UInt8], isHalt: Bool) {
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
        return (Array(json.utf8), Array(text.utf8), instruction?.mnemonic == .hlt)
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
