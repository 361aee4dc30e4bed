/// The GDB remote serial protocol's framing: `$payload#cs` packets (cs: the
/// payload's byte sum modulo 256, two hex digits), `+`/`-` acknowledgements,
/// and the interrupt byte 0x03 (Ctrl-C) between packets.
///
/// `PacketParser` takes bytes as they arrive, in any chunks, and turns them
/// into events. It never holds more than `maximumPayload` bytes of a packet:
/// a longer one is reported as `oversized` once its end arrives.
public struct PacketParser: Sendable {
    /// What the bytes said.
    public enum Event: Equatable, Sendable {
        /// A complete packet with a correct checksum (payload still escaped, as sent).
        case packet([UInt8])
        /// `+`.
        case acknowledged
        /// `-`: the last packet must be sent again.
        case negativeAcknowledged
        /// 0x03 outside a packet.
        case interrupt
        /// A packet whose checksum did not match.
        case badChecksum
        /// A packet longer than `maximumPayload`.
        case oversized
    }

    private enum Stage: Sendable {
        case idle, payload, checksumHigh, checksumLow
    }

    /// The longest payload accepted.
    public let maximumPayload: Int
    private var stage = Stage.idle
    private var payload: [UInt8] = []
    private var sum: UInt8 = 0
    private var received: UInt8 = 0
    private var overflowed = false

    public init(maximumPayload: Int) {
        self.maximumPayload = max(maximumPayload, 1)
    }

    /// True while part of a packet has arrived but not its end.
    public var isInsidePacket: Bool { stage != .idle }

    /// Feeds one byte; returns the event it completes, if any. Bytes outside
    /// packets other than `+`, `-`, `$` and 0x03 are ignored (as gdb's own stubs do).
    public mutating func consume(_ byte: UInt8) -> Event? {
        switch stage {
        case .idle:
            switch byte {
            case UInt8(ascii: "$"): startPacket()
            case UInt8(ascii: "+"): return .acknowledged
            case UInt8(ascii: "-"): return .negativeAcknowledged
            case 0x03: return .interrupt
            default: break
            }
        case .payload:
            if byte == UInt8(ascii: "#") {
                stage = .checksumHigh
            } else if byte == UInt8(ascii: "$") {
                startPacket()  // a new packet before this one ended: the old one is lost
            } else {
                sum &+= byte
                if payload.count < maximumPayload { payload.append(byte) } else { overflowed = true }
            }
        case .checksumHigh:
            guard let digit = hexValue(byte) else { return abandon() }
            received = digit << 4
            stage = .checksumLow
        case .checksumLow:
            guard let digit = hexValue(byte) else { return abandon() }
            received |= digit
            stage = .idle
            defer { payload = [] }
            if overflowed { return .oversized }
            return received == sum ? .packet(payload) : .badChecksum
        }
        return nil
    }

    private mutating func startPacket() {
        stage = .payload
        payload = []
        sum = 0
        overflowed = false
    }

    private mutating func abandon() -> Event {
        stage = .idle
        payload = []
        return .badChecksum
    }
}

/// Building and reading packet contents.
public enum PacketCoding {
    /// `$payload#cs` for a payload (escaped here: `#`, `$`, `}` and `*` as `}` and the byte xor 0x20).
    public static func frame(_ payload: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(ascii: "$")]
        bytes.reserveCapacity(payload.count + 4)
        var sum: UInt8 = 0
        for byte in payload {
            if byte == UInt8(ascii: "#") || byte == UInt8(ascii: "$") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "*") {
                bytes.append(UInt8(ascii: "}"))
                bytes.append(byte ^ 0x20)
                sum &+= UInt8(ascii: "}") &+ (byte ^ 0x20)
            } else {
                bytes.append(byte)
                sum &+= byte
            }
        }
        bytes.append(UInt8(ascii: "#"))
        bytes.append(hexDigit(sum >> 4))
        bytes.append(hexDigit(sum & 0xF))
        return bytes
    }

    /// A payload with `}` escapes resolved (binary data of `X`; other packets never carry `}`).
    public static func unescape<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var escaped = false
        for byte in bytes {
            if escaped {
                result.append(byte ^ 0x20)
                escaped = false
            } else if byte == UInt8(ascii: "}") {
                escaped = true
            } else {
                result.append(byte)
            }
        }
        return result
    }

    /// Lowercase hex of `bytes`.
    public static func hex<C: Sequence>(_ bytes: C) -> String where C.Element == UInt8 {
        var text = ""
        for byte in bytes {
            text.unicodeScalars.append(Unicode.Scalar(hexDigit(byte >> 4)))
            text.unicodeScalars.append(Unicode.Scalar(hexDigit(byte & 0xF)))
        }
        return text
    }

    /// The bytes of a hex string; nil when it has an odd length or a non-hex character.
    public static func bytes<C: Collection>(fromHex text: C) -> [UInt8]? where C.Element == UInt8 {
        guard text.count % 2 == 0 else { return nil }
        var result: [UInt8] = []
        result.reserveCapacity(text.count / 2)
        var high: UInt8?
        for character in text {
            guard let digit = hexValue(character) else { return nil }
            if let first = high {
                result.append(first << 4 | digit)
                high = nil
            } else {
                high = digit
            }
        }
        return result
    }

    /// A hex number (no prefix) of at most 16 digits; nil otherwise.
    public static func number<C: Collection>(_ text: C) -> UInt64? where C.Element == UInt8 {
        guard !text.isEmpty, text.count <= 16 else { return nil }
        var value: UInt64 = 0
        for character in text {
            guard let digit = hexValue(character) else { return nil }
            value = value << 4 | UInt64(digit)
        }
        return value
    }
}

@inline(__always)
func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
}

@inline(__always)
func hexDigit(_ value: UInt8) -> UInt8 {
    value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
}
