/// The formats x87 instructions read from and write to memory.
public enum X87MemoryFormat: Hashable, Sendable, CaseIterable {
    /// m32fp (fld, fst, arithmetic, fcom).
    case float32
    /// m64fp.
    case float64
    /// m80fp (fld and fstp only; no conversion, no exceptions).
    case float80
    /// m16int (fild, fist, arithmetic, ficom).
    case int16
    /// m32int.
    case int32
    /// m64int (fild and fistp only).
    case int64
    /// m80bcd (fbld and fbstp).
    case packedBCD

    /// The operand's size in bytes.
    public var size: Int {
        switch self {
        case .int16: 2
        case .float32, .int32: 4
        case .float64, .int64: 8
        case .float80, .packedBCD: 10
        }
    }
}
