/// A CPU exception, named as the Intel SDM names it, with its error code.
public enum CPUException: Error, Sendable, Equatable, CustomStringConvertible {
    /// #DE, vector 0: divide by zero or quotient overflow.
    case divideError
    /// #DB, vector 1.
    case debug
    /// #BP, vector 3: int3.
    case breakpoint
    /// #OF, vector 4: into with OF set.
    case overflow
    /// #BR, vector 5: bound.
    case boundRangeExceeded
    /// #UD, vector 6. `bytes` are the offending instruction bytes, when known.
    case invalidOpcode(bytes: InstructionBytes)
    /// #NM, vector 7.
    case deviceNotAvailable
    /// #DF, vector 8 (error code 0).
    case doubleFault
    /// #TS, vector 10.
    case invalidTSS(errorCode: UInt32)
    /// #NP, vector 11.
    case segmentNotPresent(errorCode: UInt32)
    /// #SS, vector 12.
    case stackFault(errorCode: UInt32)
    /// #GP, vector 13.
    case generalProtection(errorCode: UInt32)
    /// #PF, vector 14: `address` goes to CR2; the error code has P (bit 0),
    /// W/R (bit 1) and U/S (bit 2) as the SDM defines them.
    case pageFault(address: UInt32, errorCode: UInt32)
    /// #MF, vector 16: an x87 instruction that waits found an unmasked
    /// floating-point exception pending (CR0.NE = 1). A fault: eip stays at
    /// that instruction, which has not executed.
    case floatingPointError
    /// Not an architectural exception: an instruction in the middle of a
    /// block reached a device, which must see the exact time, so the run loop
    /// runs it again on its own (as QEMU re-translates an I/O instruction to
    /// end its block). Never delivered to the guest and never reported.
    case restartExactly

    /// The interrupt vector.
    public var vector: Int {
        switch self {
        case .divideError: 0
        case .debug: 1
        case .breakpoint: 3
        case .overflow: 4
        case .boundRangeExceeded: 5
        case .invalidOpcode: 6
        case .deviceNotAvailable: 7
        case .doubleFault: 8
        case .invalidTSS: 10
        case .segmentNotPresent: 11
        case .stackFault: 12
        case .generalProtection: 13
        case .pageFault: 14
        case .floatingPointError: 16
        case .restartExactly: -1
        }
    }

    /// The SDM mnemonic: "#PF", "#GP", …
    public var mnemonic: String {
        switch self {
        case .divideError: "#DE"
        case .debug: "#DB"
        case .breakpoint: "#BP"
        case .overflow: "#OF"
        case .boundRangeExceeded: "#BR"
        case .invalidOpcode: "#UD"
        case .deviceNotAvailable: "#NM"
        case .doubleFault: "#DF"
        case .invalidTSS: "#TS"
        case .segmentNotPresent: "#NP"
        case .stackFault: "#SS"
        case .generalProtection: "#GP"
        case .pageFault: "#PF"
        case .floatingPointError: "#MF"
        case .restartExactly: "restart"
        }
    }

    /// The error code the CPU pushes, for the exceptions that have one.
    public var errorCode: UInt32? {
        switch self {
        case .doubleFault: 0
        case .invalidTSS(let code), .segmentNotPresent(let code), .stackFault(let code),
             .generalProtection(let code):
            code
        case .pageFault(_, let code): code
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .pageFault(let address, let code):
            return "#PF (page fault) at linear address 0x\(hex8(address)), error code 0x\(String(code, radix: 16))"
        case .invalidOpcode(let bytes) where !bytes.isEmpty:
            return "#UD (invalid opcode): \(bytes)"
        default:
            if let code = errorCode { return "\(mnemonic) error code 0x\(String(code, radix: 16))" }
            return mnemonic
        }
    }
}

/// Eight lowercase hex digits.
func hex8(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}

/// Two lowercase hex digits.
func hex2(_ value: UInt8) -> String {
    value < 16 ? "0" + String(value, radix: 16) : String(value, radix: 16)
}

/// Up to 15 instruction bytes held inline, so `CPUException` stays a plain
/// value (no reference counting on the interpreter's error paths).
public struct InstructionBytes: Sendable, Equatable, Sequence, ExpressibleByArrayLiteral, CustomStringConvertible {
    private var low: UInt64 = 0
    private var high: UInt64 = 0
    /// How many bytes are held (0–15).
    public private(set) var count: Int = 0

    public init<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        for byte in bytes.prefix(15) {
            if count < 8 {
                low |= UInt64(byte) << (8 * UInt64(count))
            } else {
                high |= UInt64(byte) << (8 * UInt64(count - 8))
            }
            count += 1
        }
    }

    public init(arrayLiteral elements: UInt8...) { self.init(elements) }

    /// The bytes as an array.
    public var array: [UInt8] {
        var bytes: [UInt8] = []
        for index in 0..<count {
            let word = index < 8 ? low : high
            let shift = UInt64(8 * (index % 8))
            bytes.append(UInt8(truncatingIfNeeded: word >> shift))
        }
        return bytes
    }

    public var isEmpty: Bool { count == 0 }
    public func makeIterator() -> IndexingIterator<[UInt8]> { array.makeIterator() }
    public var description: String { array.map { hex2($0) }.joined(separator: " ") }
}
