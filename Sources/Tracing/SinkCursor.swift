/// A write position inside space reserved in a `ByteSink`: the JSONL hot
/// path formats a whole record through raw stores, with no capacity check
/// or buffer-field reload per piece. Obtain one with `ByteSink.cursor(reserving:)`,
/// write at most the reserved bytes, then hand it back with `ByteSink.commit(_:)`.
struct SinkCursor {
    private(set) var position: UnsafeMutablePointer<UInt8>

    init(_ position: UnsafeMutablePointer<UInt8>) { self.position = position }

    @inline(__always) mutating func put(byte: UInt8) {
        position.pointee = byte
        position += 1
    }

    /// A literal (its length is a constant once inlined, so the loop unrolls).
    @inline(__always) mutating func put(_ text: StaticString) {
        let source = text.utf8Start
        for index in 0..<text.utf8CodeUnitCount { position[index] = source[index] }
        position += text.utf8CodeUnitCount
    }

    /// Copies `count` bytes in 16-byte chunks. The source must stay readable
    /// up to 15 bytes past `count`, and the reservation must cover those 15
    /// bytes too (they are overwritten by what follows).
    @inline(__always) mutating func copyPadded(_ source: UnsafePointer<UInt8>, count: Int) {
        var offset = 0
        let from = UnsafeRawPointer(source), to = UnsafeMutableRawPointer(position)
        while offset < count {
            to.storeBytes(of: from.loadUnaligned(fromByteOffset: offset, as: SIMD16<UInt8>.self),
                          toByteOffset: offset, as: SIMD16<UInt8>.self)
            offset += 16
        }
        position += count
    }

    /// Eight lowercase hex digits of `value`, most significant first, in one store.
    @inline(__always) mutating func putHex32(_ value: UInt32) {
        UnsafeMutableRawPointer(position).storeBytes(of: Self.hexDigits(value).littleEndian, as: UInt64.self)
        position += 8
    }

    /// The hex digits of `value` as eight ASCII bytes packed little-endian
    /// (the first digit in the lowest byte): each nibble is spread into its
    /// own byte, then '0' is added, and 'a'−'0'−10 more where the nibble is ≥ 10.
    @inline(__always) static func hexDigits(_ value: UInt32) -> UInt64 {
        var spread = UInt64(value.byteSwapped)  // most significant byte first
        spread = (spread | spread << 16) & 0x0000_FFFF_0000_FFFF
        spread = (spread | spread << 8) & 0x00FF_00FF_00FF_00FF
        let nibbles = (spread >> 4 & 0x000F_000F_000F_000F) | (spread & 0x000F_000F_000F_000F) << 8
        let letters = (nibbles &+ 0x0606_0606_0606_0606) >> 4 & 0x0101_0101_0101_0101
        return nibbles &+ 0x3030_3030_3030_3030 &+ letters &* 0x27
    }

    /// The hex digits of a `size`-byte value (1, 2, 4 or 8; others digit by
    /// digit), most significant first. Stores up to 8 bytes past the digits
    /// written: the reservation must cover them.
    @inline(__always) mutating func putHexValue(_ value: UInt64, size: Int) {
        switch size {
        case 4: putHex32(UInt32(truncatingIfNeeded: value))
        case 8:
            putHex32(UInt32(truncatingIfNeeded: value >> 32))
            putHex32(UInt32(truncatingIfNeeded: value))
        case 1, 2:
            // Left-align the value in 32 bits: its digits come first in the store.
            let aligned = UInt32(truncatingIfNeeded: value) << (32 - 8 * UInt32(size))
            UnsafeMutableRawPointer(position).storeBytes(of: Self.hexDigits(aligned).littleEndian, as: UInt64.self)
            position += 2 * size
        default: putHex(value, digits: min(max(size, 0), 8) * 2)
        }
    }

    /// `digits` hex digits of `value` (1...16), most significant first.
    @inline(__always) mutating func putHex(_ value: UInt64, digits: Int) {
        var remaining = value
        var index = digits - 1
        while index >= 0 {
            position[index] = Self.digitCharacter(UInt8(truncatingIfNeeded: remaining) & 0xF)
            remaining >>= 4
            index -= 1
        }
        position += digits
    }

    /// Little-endian bytes of a `size`-byte value as hex (Tenet's byte order).
    @inline(__always) mutating func putHexBytes(_ value: UInt64, size: Int) {
        for index in 0..<size {
            let byte = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))
            position[2 * index] = Self.digitCharacter(byte >> 4)
            position[2 * index + 1] = Self.digitCharacter(byte & 0xF)
        }
        position += 2 * size
    }

    @inline(__always) static func digitCharacter(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? nibble &+ UInt8(ascii: "0") : nibble &+ (UInt8(ascii: "a") &- 10)
    }

    /// A decimal number; `maxDigits` bounds the digit count (20 covers every UInt64).
    @inline(__always) mutating func putDecimal(_ value: UInt64, maxDigits: Int) {
        var digits = 1
        var scan = value
        while scan >= 10 && digits < maxDigits {
            scan /= 10
            digits += 1
        }
        var remaining = value
        for index in stride(from: digits - 1, through: 0, by: -1) {
            position[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: remaining % 10)
            remaining /= 10
        }
        position += digits
    }
}
