import I386

/// The layout of a JSONL record on its way from the run loop to the
/// formatter thread (through a `BlockPipe`): a header, the values of the
/// registers the record shows, the memory writes, the events, then
/// preformatted JSON (a whole exception record). Each part starts 8-byte aligned.
enum JSONLRecord {
    enum Kind: UInt32 {
        /// An executed instruction: the formatter writes the line.
        case instruction
        /// A whole line, already formatted (exception records).
        case preformatted
    }

    struct Header {
        /// The whole record in bytes, a multiple of 8.
        var length: Int
        var step: Int
        /// The instruction's `"eip":…"regs":{` bytes in the `StaticInfoCache` arena.
        var prefix: UnsafePointer<UInt8>?
        var prefixLength: Int
        var writeCount: Int
        var eventCount: Int
        /// Bytes of preformatted JSON at the end of the record.
        var textLength: Int
        /// Bit n: register n of `TraceRegisters.order` is in the record.
        var registers: UInt32
        var kind: UInt32
    }

    static let headerSize = (MemoryLayout<Header>.size + 7) & ~7
    /// A register mask with all 26 registers (the most a record holds).
    static let allRegisters: UInt32 = (1 << 26) - 1
    static let writeSize = MemoryLayout<MemoryWrite>.stride
    static let eventSize = MemoryLayout<TraceEvent>.stride

    @inline(__always)
    static func registerBytes(_ registers: UInt32) -> Int { (registers.nonzeroBitCount &* 4 &+ 7) & ~7 }

    /// The record length for these parts. The counts are the tracer's own
    /// (a memory log, at most a dozen events, a line it formatted), far from
    /// overflowing: wrapping arithmetic keeps overflow checks out of the hot path.
    @inline(__always)
    static func length(registers: UInt32, writeCount: Int, eventCount: Int, textLength: Int) -> Int {
        headerSize &+ registerBytes(registers) &+ writeCount &* writeSize &+ eventCount &* eventSize
            &+ ((textLength &+ 7) & ~7)
    }
}

/// The formatter thread's end of the JSONL pipeline: turns records into
/// lines in the sink. It is only ever used by one thread at a time (the
/// pipe's consumer), hence `@unchecked Sendable`.
final class JSONLFormatter: @unchecked Sendable {
    private let sink: ByteSink
    /// `"eax":"0x` … for each register.
    private let names = Fragments(TraceRegisters.order.map { "\"\($0.name)\":\"0x" })
    /// The step number `stepDigits` holds: records usually come one step apart,
    /// so the digits are counted up in place after each record (and set when they skip).
    private let stepDigits = DecimalCounter()
    private var digitsStep = 0

    /// The names events print (immutable: shared with the run loop's thread).
    private let vocabulary: EventVocabulary

    init(sink: ByteSink, vocabulary: EventVocabulary) {
        self.sink = sink
        self.vocabulary = vocabulary
    }

    /// Formats every record in `block`.
    func format(_ block: UnsafeRawBufferPointer) {
        guard let start = block.baseAddress else { return }
        var offset = 0
        while offset + JSONLRecord.headerSize <= block.count {
            let record = start + offset
            let header = record.load(as: JSONLRecord.Header.self)
            guard header.length >= JSONLRecord.headerSize else { break }
            format(header, body: record + JSONLRecord.headerSize)
            offset += header.length
        }
        sink.flushIfFull()
    }

    private func format(_ header: JSONLRecord.Header, body: UnsafeRawPointer) {
        let writesStart = body + JSONLRecord.registerBytes(header.registers)
        let writes = UnsafeBufferPointer(start: writesStart.assumingMemoryBound(to: MemoryWrite.self), count: header.writeCount)
        let eventsStart = writesStart + header.writeCount * JSONLRecord.writeSize
        let events = UnsafeBufferPointer(start: eventsStart.assumingMemoryBound(to: TraceEvent.self), count: header.eventCount)
        let text = (eventsStart + header.eventCount * JSONLRecord.eventSize).assumingMemoryBound(to: UInt8.self)
        guard header.kind == JSONLRecord.Kind.instruction.rawValue, let prefix = header.prefix else {
            sink.append(text, count: header.textLength)
            return
        }
        if header.step != digitsStep { stepDigits.set(header.step) }
        // Room for everything but the events: 8 + 24 step digits, the prefix
        // with its 15 bytes of copy overrun, 26 registers of at most 16 + 8 + 1
        // bytes, 26 bytes of brackets, and at most 88 bytes per write (plus an 8-byte overrun).
        var cursor = sink.cursor(reserving: header.prefixLength + 96 + 26 * 25 + header.writeCount * 104)
        cursor.put("{\"step\":")
        stepDigits.write(to: &cursor)
        cursor.copyPadded(prefix, count: header.prefixLength)
        var registers = header.registers
        var value = body.assumingMemoryBound(to: UInt32.self)
        if registers != 0 {
            while true {
                let index = registers.trailingZeroBitCount
                registers &= registers - 1
                names.write(index, to: &cursor)
                cursor.putHex32(value.pointee)
                value += 1
                cursor.put(byte: UInt8(ascii: "\""))
                if registers == 0 { break }
                cursor.put(byte: UInt8(ascii: ","))
            }
        }
        cursor.put("},\"mem\":[")
        cursor.putJSONWrites(writes)
        if events.isEmpty {
            cursor.put("],\"events\":[]}\n")
            sink.commit(cursor)
        } else {
            cursor.put("],\"events\":[")
            sink.commit(cursor)
            write(events)
            sink.append("]}\n")
        }
        stepDigits.increment()
        digitsStep = header.step &+ 1
    }

    /// The events as comma-separated JSON objects.
    private func write(_ events: UnsafeBufferPointer<TraceEvent>) {
        sink.appendJSONEvents(events, vocabulary)
    }
}

extension ByteSink {
    /// `events` as comma-separated JSON objects.
    func appendJSONEvents<Events: Collection<TraceEvent>>(_ events: Events, _ vocabulary: EventVocabulary) {
        for (position, event) in events.enumerated() {
            var cursor = cursor(reserving: event.maxJSONLength(vocabulary) + 1)
            if position > 0 { cursor.put(byte: UInt8(ascii: ",")) }
            event.writeJSON(to: &cursor, vocabulary)
            commit(cursor)
        }
    }
}
