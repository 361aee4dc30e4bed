import ArgumentParser
import Images

/// Parses a 32-bit value: `0x…`, `0b…` or decimal (see `Images.parseNumber`).
func parseUInt32(_ text: String) -> UInt32? { parseNumber(text) }

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
