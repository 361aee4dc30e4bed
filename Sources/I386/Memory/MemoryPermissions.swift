/// Access rights of a guest page.
public struct MemoryPermissions: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let read = MemoryPermissions(rawValue: 1)
    public static let write = MemoryPermissions(rawValue: 2)
    public static let execute = MemoryPermissions(rawValue: 4)
    public static let all: MemoryPermissions = [.read, .write, .execute]

    /// The bit `PhysicalMemory` keeps beside the permissions of a frame that is RAM or ROM.
    static let mapped: UInt8 = 0x80
}

/// A guest memory write seen while an observer is attached.
public struct MemoryWrite: Sendable, Equatable {
    /// Linear address of the first byte.
    public var address: UInt32
    /// Bytes written (1, 2, 4 or 8; string instructions log each element).
    public var size: UInt8
    /// The bytes before the write, little-endian in the low bytes.
    public var oldValue: UInt64
    /// The bytes written.
    public var newValue: UInt64

    public init(address: UInt32, size: UInt8, oldValue: UInt64, newValue: UInt64) {
        self.address = address
        self.size = size
        self.oldValue = oldValue
        self.newValue = newValue
    }
}
