/// The instruction whose arithmetic flags are pending (see `Machine+Flags`).
enum LazyFlags: UInt8 {
    /// `storedFlags` holds the arithmetic flags.
    case none
    /// left + right (also adc with carry-in 0).
    case add
    /// left + right + 1.
    case adcWithCarry
    /// left − right (sub, cmp, neg with left = 0, sbb with borrow-in 0).
    case sub
    /// left − right − 1.
    case sbbWithBorrow
    /// and, or, xor, test: CF = OF = 0, AF = 0.
    case logic
    /// inc: add flags with CF preserved in `flagsCarry`.
    case inc
    /// dec: sub flags with CF preserved in `flagsCarry`.
    case dec
    /// shl/sal by a count of 1–31 (`right`) of `left`: CF is the last bit
    /// shifted out, OF = CF xor the result's sign, AF = 0 (see `Shifts.swift`).
    case shl
    /// shr by a count of 1–31: CF is the last bit shifted out, OF = the old sign, AF = 0.
    case shr
    /// sar by a count of 1–31: CF is the last bit shifted out, OF = 0, AF = 0.
    case sar
}

/// EFLAGS bit masks.
public enum EFLAGS {
    public static let cf: UInt32 = 1 << 0
    public static let reserved1: UInt32 = 1 << 1
    public static let pf: UInt32 = 1 << 2
    public static let af: UInt32 = 1 << 4
    public static let zf: UInt32 = 1 << 6
    public static let sf: UInt32 = 1 << 7
    public static let tf: UInt32 = 1 << 8
    public static let `if`: UInt32 = 1 << 9
    public static let df: UInt32 = 1 << 10
    public static let of: UInt32 = 1 << 11
    public static let iopl: UInt32 = 3 << 12
    public static let nt: UInt32 = 1 << 14
    public static let rf: UInt32 = 1 << 16
    public static let vm: UInt32 = 1 << 17
    public static let ac: UInt32 = 1 << 18
    public static let id: UInt32 = 1 << 21
    /// CF, PF, AF, ZF, SF, OF.
    public static let arithmetic: UInt32 = cf | pf | af | zf | sf | of
}
