/// A copy of every `Register`'s value, cheap to take after each instruction
/// and to compare with the previous copy (what tracers and debuggers do).
public struct RegisterFile: Sendable, Equatable {
    /// The values by `Register.rawValue` (lanes past `Register.allCases.count` stay 0).
    public private(set) var values = SIMD32<UInt32>()

    /// All zeros.
    public init() {}

    /// The registers of `machine` now.
    public init(_ machine: Machine) {
        updateGeneral(from: machine)
        updateSystem(from: machine)
    }

    /// The value of `register`.
    public subscript(register: Register) -> UInt32 {
        get { values[register.rawValue] }
        set { values[register.rawValue] = newValue }
    }

    /// Copies the general registers, eip and eflags from `machine`.
    @inline(__always)
    public mutating func updateGeneral(from machine: Machine) {
        let eflags = machine.eflags  // first: evaluating lazy flags is a call
        let general = UnsafeRawPointer(machine.registers).loadUnaligned(as: SIMD8<UInt32>.self)
        values.lowHalf.lowHalf = general
        values[Register.eip.rawValue] = machine.state.pointee.eip
        values[Register.eflags.rawValue] = eflags
    }

    /// Copies the selectors, control and debug registers from `machine`.
    public mutating func updateSystem(from machine: Machine) {
        for register in Register.allCases.dropFirst(10) { values[register.rawValue] = machine[register] }
    }

    /// The registers whose values differ between `self` and `other`.
    @inline(__always)
    public func differences(from other: RegisterFile) -> RegisterSet {
        let differing = unsafeBitCast(values .!= other.values, to: SIMD32<UInt32>.self)  // all ones where different
        return RegisterSet(rawValue: (differing & Self.laneBits).wrappedSum())
    }

    private static let laneBits: SIMD32<UInt32> = {
        var bits = SIMD32<UInt32>()
        for lane in 0..<32 { bits[lane] = 1 << UInt32(lane) }
        return bits
    }()
}

/// A set of registers, one bit per `Register.rawValue`.
public struct RegisterSet: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The set holding only `register`.
    public init(_ register: Register) { rawValue = 1 << UInt32(register.rawValue) }

    /// True when `register` is in the set.
    public func contains(_ register: Register) -> Bool { rawValue & (1 << UInt32(register.rawValue)) != 0 }

    /// The selectors, control and debug registers: what changes rarely.
    public static let system = RegisterSet(rawValue: ~0x3FF & ((1 << UInt32(Register.allCases.count)) - 1))
    /// cs, ss, ds, es, fs, gs.
    public static let segments = RegisterSet(rawValue: 0x3F << 10)
}
