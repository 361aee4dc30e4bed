/// Parses byte values written in hex: `"9c 55 89 a0"`, `"9c5589a0"`,
/// `"0x9c,0x55"` or `"\x9c\x55"`.
public enum HexBytes {
    /// The bytes `text` spells, or a `badHex` error naming the first bad token.
    public static func parse(_ text: String) throws(ImageError) -> [UInt8] {
        var cleaned = text.lowercased()
        for separator in [",", "\\x", "0x", ":", "\n", "\t"] {
            cleaned = cleaned.replacingOccurrences(of: separator, with: " ")
        }
        var bytes: [UInt8] = []
        for token in cleaned.split(separator: " ") {
            guard token.count % 2 == 0 else {
                throw .badHex("'\(token)' has an odd number of hex digits")
            }
            var index = token.startIndex
            while index < token.endIndex {
                let next = token.index(index, offsetBy: 2)
                guard let byte = UInt8(token[index..<next], radix: 16) else {
                    throw .badHex("'\(token)' is not hex")
                }
                bytes.append(byte)
                index = next
            }
        }
        guard !bytes.isEmpty else { throw .badHex("no bytes given") }
        return bytes
    }
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
