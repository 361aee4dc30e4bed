/// A value read from or written to memory by an x87 instruction, in its
/// memory format. Floating-point formats are carried as their bits.
public enum X87MemoryOperand: Hashable, Sendable {
    /// m32fp bits.
    case float32(UInt32)
    /// m64fp bits.
    case float64(UInt64)
    /// m80fp.
    case float80(ExtendedReal)
    /// m16int.
    case int16(Int16)
    /// m32int.
    case int32(Int32)
    /// m64int.
    case int64(Int64)
    /// m80bcd.
    case packedBCD(PackedBCD)

    /// The operand read from the first `format.size` bytes of `bytes`
    /// (little-endian; missing bytes read as zero).
    public init(format: X87MemoryFormat, bytes: some Collection<UInt8>) {
        self.init(format: format, bits: ExtendedReal(bytes: bytes.prefix(format.size)))
    }

    /// The operand in the low `format.size` bytes of `bits` (the shape the
    /// host shim uses; higher bytes are ignored).
    init(format: X87MemoryFormat, bits: ExtendedReal) {
        switch format {
        case .float32: self = .float32(UInt32(truncatingIfNeeded: bits.significand))
        case .float64: self = .float64(bits.significand)
        case .float80: self = .float80(bits)
        case .int16: self = .int16(Int16(truncatingIfNeeded: bits.significand))
        case .int32: self = .int32(Int32(truncatingIfNeeded: bits.significand))
        case .int64: self = .int64(Int64(bitPattern: bits.significand))
        case .packedBCD: self = .packedBCD(PackedBCD(low: bits.significand, high: bits.signAndExponent))
        }
    }

    /// The operand's format.
    public var format: X87MemoryFormat {
        switch self {
        case .float32: .float32
        case .float64: .float64
        case .float80: .float80
        case .int16: .int16
        case .int32: .int32
        case .int64: .int64
        case .packedBCD: .packedBCD
        }
    }

    /// The operand's bytes in memory order (`format.size` of them).
    public var bytes: [UInt8] { Array(bits.bytes.prefix(format.size)) }

    /// The operand zero-extended into the 10-byte shape the host shim takes.
    var bits: ExtendedReal {
        switch self {
        case .float32(let value): ExtendedReal(significand: UInt64(value), signAndExponent: 0)
        case .float64(let value): ExtendedReal(significand: value, signAndExponent: 0)
        case .float80(let value): value
        case .int16(let value): ExtendedReal(significand: UInt64(UInt16(bitPattern: value)), signAndExponent: 0)
        case .int32(let value): ExtendedReal(significand: UInt64(UInt32(bitPattern: value)), signAndExponent: 0)
        case .int64(let value): ExtendedReal(significand: UInt64(bitPattern: value), signAndExponent: 0)
        case .packedBCD(let value): ExtendedReal(significand: value.low, signAndExponent: value.high)
        }
    }
}
