/// A copy of every `Register`'s value, cheap to take after each instruction
/// and to compare with the previous copy (what tracers and debuggers do).
public struct RegisterFile: Sendable, Equatable {
    // The values by `Register.rawValue`, eight lanes at a time (lanes past
    // `Register.allCases.count` stay 0): comparing two files is four vector compares.
    @usableFromInline var lanes0 = SIMD8<UInt32>()
    @usableFromInline var lanes8 = SIMD8<UInt32>()
    @usableFromInline var lanes16 = SIMD8<UInt32>()
    @usableFromInline var lanes24 = SIMD8<UInt32>()

    /// All zeros.
    @inlinable public init() {}

    /// The registers of `machine` now.
    public init(_ machine: Machine) {
        updateGeneral(from: machine)
        updateSystem(from: machine)
    }

    /// The value of `register`.
    @inlinable
    public subscript(register: Register) -> UInt32 {
        @inline(__always) get {
            withUnsafeBytes(of: self) { $0.load(fromByteOffset: register.rawValue &* 4, as: UInt32.self) }
        }
        set {
            let index = register.rawValue
            switch index >> 3 {
            case 0: lanes0[index & 7] = newValue
            case 1: lanes8[index & 7] = newValue
            case 2: lanes16[index & 7] = newValue
            default: lanes24[index & 7] = newValue
            }
        }
    }

    /// Copies the general registers, eip and eflags from `machine`.
    @inlinable
    public mutating func updateGeneral(from machine: Machine) {
        let eflags = machine.eflags  // first: evaluating lazy flags is a call
        lanes0 = UnsafeRawPointer(machine.registers).loadUnaligned(as: SIMD8<UInt32>.self)
        lanes8[0] = machine.state.pointee.eip
        lanes8[1] = eflags
    }

    /// Copies the selectors, control and debug registers from `machine`.
    public mutating func updateSystem(from machine: Machine) {
        for register in Register.allCases.dropFirst(10) { self[register] = machine[register] }
    }

    /// The registers whose values differ between `self` and `other`.
    @inlinable
    public func differences(from other: RegisterFile) -> RegisterSet {
        RegisterSet(rawValue: Self.bits(lanes0, other.lanes0) | Self.bits(lanes8, other.lanes8) << 8
                    | Self.bits(lanes16, other.lanes16) << 16 | Self.bits(lanes24, other.lanes24) << 24)
    }

    /// The general registers, eip and eflags that differ between `self` and
    /// `other` (for callers that know the other registers are the same in both).
    @inlinable
    public func generalDifferences(from other: RegisterFile) -> RegisterSet {
        var bits = Self.bits(lanes0, other.lanes0)
        if lanes8[0] != other.lanes8[0] { bits |= 1 << 8 }
        if lanes8[1] != other.lanes8[1] { bits |= 1 << 9 }
        return RegisterSet(rawValue: bits)
    }

    /// Bit n set where lane n of `left` and `right` differ.
    @inlinable
    static func bits(_ left: SIMD8<UInt32>, _ right: SIMD8<UInt32>) -> UInt32 {
        let differing = unsafeBitCast(left .!= right, to: SIMD8<UInt32>.self)  // all ones where they differ
        return (differing & SIMD8<UInt32>(1, 2, 4, 8, 16, 32, 64, 128)).wrappedSum()
    }
}

/// A set of registers, one bit per `Register.rawValue`.
public struct RegisterSet: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The set holding only `register`.
    @inlinable public init(_ register: Register) { rawValue = 1 << UInt32(register.rawValue) }

    /// True when `register` is in the set.
    @inlinable public func contains(_ register: Register) -> Bool { rawValue & (1 << UInt32(register.rawValue)) != 0 }

    /// The selectors, control and debug registers: what changes rarely.
    @inlinable public static var system: RegisterSet { RegisterSet(rawValue: 0x03FF_FC00) }
    /// cs, ss, ds, es, fs, gs.
    @inlinable public static var segments: RegisterSet { RegisterSet(rawValue: 0x3F << 10) }
}
