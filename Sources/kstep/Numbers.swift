import ArgumentParser

/// Parses a 32-bit value written as `0x…` hex, `0b…`, or decimal (a leading `-` wraps).
func parseUInt32(_ text: String) -> UInt32? {
    var body = Substring(text.trimmingCharacters(in: " "))
    var negative = false
    if body.hasPrefix("-") { negative = true; body = body.dropFirst() }
    let value: UInt64?
    if body.lowercased().hasPrefix("0x") {
        value = UInt64(body.dropFirst(2), radix: 16)
    } else if body.lowercased().hasPrefix("0b") {
        value = UInt64(body.dropFirst(2), radix: 2)
    } else {
        value = UInt64(body, radix: 10)
    }
    guard let value, value <= UInt64(UInt32.max) else { return nil }
    return negative ? 0 &- UInt32(value) : UInt32(value)
}

/// `0x` and eight hex digits.
func hex32(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        var text = Substring(self)
        while text.first == set { text.removeFirst() }
        while text.last == set { text.removeLast() }
        return String(text)
    }
}
