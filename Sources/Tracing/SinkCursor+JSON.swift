import I386

/// JSON pieces written through a cursor.
extension SinkCursor {
    /// `text` as a JSON string: at most 2 + 6 bytes per UTF-8 byte.
    mutating func putJSONString(_ text: String) {
        put(byte: UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): put("\\\"")
            case UInt8(ascii: "\\"): put("\\\\")
            case 0..<0x20:
                put("\\u00")
                putHex(UInt64(byte), digits: 2)
            default: put(byte: byte)
            }
        }
        put(byte: UInt8(ascii: "\""))
    }

    /// `"0x…"` with eight digits: 12 bytes.
    mutating func putJSONHex(_ value: UInt32) {
        put("\"0x")
        putHex32(value)
        put(byte: UInt8(ascii: "\""))
    }

    /// A `task-switch` event's fields after its kind: `"from"`, `"from_base"`,
    /// `"to"`, `"to_base"` (86 bytes).
    mutating func putJSONTaskSwitch(from: UInt16, fromBase: UInt32, to: UInt16, toBase: UInt32) {
        put(",\"from\":")
        putJSONHex(UInt32(from))
        put(",\"from_base\":")
        putJSONHex(fromBase)
        put(",\"to\":")
        putJSONHex(UInt32(to))
        put(",\"to_base\":")
        putJSONHex(toBase)
    }

    /// `{"addr", "size", "old", "new"}` for each write, comma-separated: at
    /// most 88 bytes each, and the reservation must allow 8 more after the last.
    @inline(__always)
    mutating func putJSONWrites<Writes: Collection<MemoryWrite>>(_ writes: Writes) {
        var first = true
        for write in writes {
            if !first { put(byte: UInt8(ascii: ",")) }
            first = false
            let size = min(Int(write.size), 8)
            put("{\"addr\":\"0x")
            putHex32(write.address)
            put("\",\"size\":")
            putDecimal(UInt64(size), maxDigits: 1)
            put(",\"old\":\"0x")
            putHexValue(write.oldValue, size: size)
            put("\",\"new\":\"0x")
            putHexValue(write.newValue, size: size)
            put("\"}")
        }
    }
}
