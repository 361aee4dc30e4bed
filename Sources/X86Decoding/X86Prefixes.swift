/// The legacy prefixes present on an instruction.
public struct X86Prefixes: OptionSet, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// 0xF0.
    public static let lock = X86Prefixes(rawValue: 1 << 0)
    /// 0xF3 (`rep`, `repe`).
    public static let rep = X86Prefixes(rawValue: 1 << 1)
    /// 0xF2 (`repne`).
    public static let repne = X86Prefixes(rawValue: 1 << 2)
    /// 0x66.
    public static let operandSize = X86Prefixes(rawValue: 1 << 3)
    /// 0x67.
    public static let addressSize = X86Prefixes(rawValue: 1 << 4)
    /// Any of 0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65 (see `segmentOverride`).
    public static let segmentOverride = X86Prefixes(rawValue: 1 << 5)
}
