/// The x87 control word: exception masks (bits 0–5), precision control
/// (bits 8–9), rounding control (bits 10–11) and the 287's infinity control
/// (bit 12, kept but ignored).
///
/// fldcw keeps bits 0–5 and 8–12 as written and reads bit 6 as 1 and bits 7
/// and 13–15 as 0 (measured on the host: fldcw 0xFFFF then fnstcw gives
/// 0x1F7F, fldcw 0 gives 0x0040), so `init(rawValue:)` normalizes that way.
public struct X87ControlWord: RawRepresentable, Hashable, Sendable {
    /// The word as fnstcw stores it.
    public private(set) var rawValue: UInt16

    /// The word fldcw makes of `rawValue`.
    public init(rawValue: UInt16) { self.rawValue = (rawValue & 0x1F3F) | 0x0040 }

    /// fninit's control word, 0x037F: everything masked, 64-bit precision,
    /// round to nearest.
    public static let initial = X87ControlWord(rawValue: 0x037F)

    /// The masked exceptions (a set bit masks).
    public var masks: X87Exceptions {
        get { X87Exceptions(rawValue: rawValue) }
        set { rawValue = (rawValue & ~0x3F) | newValue.rawValue }
    }

    /// Precision control.
    public var precision: X87PrecisionControl {
        get { X87PrecisionControl(rawValue: (rawValue >> 8) & 3) ?? .extended }
        set { rawValue = (rawValue & ~0x0300) | newValue.rawValue << 8 }
    }

    /// Rounding control.
    public var rounding: X87RoundingControl {
        get { X87RoundingControl(rawValue: (rawValue >> 10) & 3) ?? .nearest }
        set { rawValue = (rawValue & ~0x0C00) | newValue.rawValue << 10 }
    }

    /// The infinity-control bit (bit 12): meaningful on the 8087 and 287 only.
    public var infinityControl: Bool { rawValue & 0x1000 != 0 }
}
