/// Why bytes did not decode.
public enum DecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Capstone found no valid i386 instruction at `address`; `bytes` are the
    /// (up to 15) bytes it was given.
    case invalidInstruction(address: UInt32, bytes: [UInt8])
    /// There were no bytes to decode.
    case empty(address: UInt32)
    /// The bytes at `address` form an instruction longer than 15 bytes
    /// (redundant prefixes): the CPU raises #GP(0). `bytes` are the first 15.
    case tooLong(address: UInt32, bytes: [UInt8])

    public var description: String {
        switch self {
        case .invalidInstruction(let address, let bytes):
            let hex = bytes.map { byteHex($0) }.joined(separator: " ")
            return "undecodable bytes at 0x\(wordHex(address)): \(hex)"
        case .empty(let address):
            return "no bytes to decode at 0x\(wordHex(address))"
        case .tooLong(let address, _):
            return "an instruction longer than 15 bytes at 0x\(wordHex(address))"
        }
    }
}

/// Two lowercase hex digits.
func byteHex(_ value: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(value >> 4)], digits[Int(value & 15)]])
}

/// Eight lowercase hex digits.
func wordHex(_ value: UInt32) -> String {
    (0..<4).map { byteHex(UInt8(truncatingIfNeeded: value >> UInt32(24 - 8 * $0))) }.joined()
}
