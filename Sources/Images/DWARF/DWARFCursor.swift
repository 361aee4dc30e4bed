/// Bounds-checked little-endian reads through one DWARF section: every read
/// checks the section's end (and the end the caller set, e.g. a unit's), so a
/// truncated file is a `DWARFError`, never a trap.
struct DWARFCursor {
    /// The section's bytes, indexed from 0.
    let bytes: ArraySlice<UInt8>
    /// The section's name, for errors.
    let section: String
    /// The next byte to read, from the section's start.
    var offset: Int
    /// Reads stop here (the section's end unless narrowed).
    var end: Int

    init(_ bytes: ArraySlice<UInt8>, section: String, offset: Int = 0) {
        self.bytes = bytes
        self.section = section
        self.offset = offset
        end = bytes.count
    }

    var isAtEnd: Bool { offset >= end }

    private func truncated(at position: Int) -> DWARFError { .truncated(section: section, offset: position) }

    /// Checks that `count` bytes from `offset` lie inside `end` and returns where they start in `bytes`.
    private func start(of count: Int) throws(DWARFError) -> Int {
        guard count >= 0, offset >= 0, offset <= end, count <= end - offset else { throw truncated(at: offset) }
        return bytes.startIndex + offset
    }

    mutating func u8() throws(DWARFError) -> UInt8 {
        let at = try start(of: 1)
        offset += 1
        return bytes[at]
    }

    /// An unsigned little-endian value of `size` bytes (1 to 8).
    mutating func unsigned(size: Int) throws(DWARFError) -> UInt64 {
        guard (1...8).contains(size) else { throw .malformed("a \(size)-byte value") }
        let at = try start(of: size)
        var value: UInt64 = 0
        for index in 0..<size { value |= UInt64(bytes[at + index]) << (8 * UInt64(index)) }
        offset += size
        return value
    }

    mutating func u16() throws(DWARFError) -> UInt16 { UInt16(truncatingIfNeeded: try unsigned(size: 2)) }
    mutating func u32() throws(DWARFError) -> UInt32 { UInt32(truncatingIfNeeded: try unsigned(size: 4)) }
    mutating func u64() throws(DWARFError) -> UInt64 { try unsigned(size: 8) }

    /// ULEB128. Bits past the 64th must be zero (a longer encoding of a small value is allowed).
    mutating func uleb() throws(DWARFError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try u8()
            let low = UInt64(byte & 0x7F)
            if shift < 64 {
                guard shift == 63 ? low <= 1 : true else { throw .malformed("a ULEB128 value above 64 bits in \(section)") }
                value |= low << shift
            } else if low != 0 {
                throw .malformed("a ULEB128 value above 64 bits in \(section)")
            }
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
    }

    /// SLEB128 (values beyond 64 bits are an error).
    mutating func sleb() throws(DWARFError) -> Int64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        var byte: UInt8
        repeat {
            byte = try u8()
            if shift < 64 {
                value |= UInt64(byte & 0x7F) << shift
            } else if byte & 0x7F != (value >> 63 != 0 ? 0x7F : 0) {
                throw .malformed("an SLEB128 value above 64 bits in \(section)")
            }
            shift += 7
        } while byte & 0x80 != 0
        if shift < 64 && byte & 0x40 != 0 { value |= ~0 << shift }
        return Int64(bitPattern: value)
    }

    /// `count` raw bytes.
    mutating func bytes(_ count: Int) throws(DWARFError) -> [UInt8] {
        let at = try start(of: count)
        offset += count
        return Array(bytes[at..<(at + count)])
    }

    /// Moves past `count` bytes.
    mutating func skip(_ count: Int) throws(DWARFError) {
        _ = try start(of: count)
        offset += count
    }

    /// A NUL-terminated string (the NUL is consumed), decoded as UTF-8.
    mutating func cString() throws(DWARFError) -> String {
        let first = try start(of: 0)
        let limit = bytes.startIndex + end
        var index = first
        while index < limit && bytes[index] != 0 { index += 1 }
        guard index < limit else { throw truncated(at: offset) }
        offset += index - first + 1
        return String(decoding: bytes[first..<index], as: UTF8.self)
    }

    /// A value of a section offset's size (4 bytes in 32-bit DWARF, 8 in 64-bit), as an Int.
    mutating func sectionOffset(size: Int) throws(DWARFError) -> Int {
        let value = try unsigned(size: size)
        guard let offset = Int(exactly: value) else { throw .malformed("offset \(value) in \(section)") }
        return offset
    }
}
