/// How a kernel's user programs enter it: the `int` vector, and the names of
/// the call numbers they put in eax.
public struct SystemCallTable: Sendable, Equatable {
    /// The software-interrupt vector of a system call (0x80 for Linux, 0x40 for xv6).
    public var vector: UInt8
    /// Names by number (nil for a number with no call).
    public var names: [String?]

    /// A table for `int $vector` with `names[n]` for call n.
    public init(vector: UInt8, names: [String?]) {
        self.vector = vector
        self.names = names
    }

    /// The name of call `number`, if it has one.
    public func name(of number: UInt32) -> String? {
        number < UInt32(names.count) ? names[Int(number)] : nil
    }
}
