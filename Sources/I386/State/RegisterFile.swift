/// A copy of every `Register`'s value, cheap to take after each instruction
/// and to compare with the previous copy (what tracers and debuggers do).
public struct RegisterFile: Sendable, Equatable {
    // The values by `Register.rawValue`, eight lanes at a time (lanes past
    // `Register.allCases.count` stay 0): comparing two files is four vector compares.
    private var lanes0 = SIMD8<UInt32>()
    private var lanes8 = SIMD8<UInt32>()
    private var lanes16 = SIMD8<UInt32>()
    private var lanes24 = SIMD8<UInt32>()

    /// All zeros.
    public init() {}

    /// The registers of `machine` now.
    public init(_ machine: Machine) {
        updateGeneral(from: machine)
        updateSystem(from: machine)
    }

    /// The value of `register`.
    public subscript(register: Register) -> UInt32 {
        @inline(__always) get {
            let index = register.rawValue
            switch index >> 3 {
            case 0: return lanes0[index & 7]
            case 1: return lanes8[index & 7]
            case 2: return lanes16[index & 7]
            default: return lanes24[index & 7]
            }
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
    @inline(__always)
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
    @inline(__always)
    public func differences(from other: RegisterFile) -> RegisterSet {
        RegisterSet(rawValue: Self.bits(lanes0, other.lanes0) | Self.bits(lanes8, other.lanes8) << 8
                    | Self.bits(lanes16, other.lanes16) << 16 | Self.bits(lanes24, other.lanes24) << 24)
    }

    /// Bit n set where lane n of `left` and `right` differ.
    @inline(__always)
    private static func bits(_ left: SIMD8<UInt32>, _ right: SIMD8<UInt32>) -> UInt32 {
        let differing = unsafeBitCast(left .!= right, to: SIMD8<UInt32>.self)  // all ones where they differ
        return (differing & SIMD8<UInt32>(1, 2, 4, 8, 16, 32, 64, 128)).wrappedSum()
    }
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
