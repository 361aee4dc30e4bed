import I386

/// The Bochs/QEMU debug console at port 0xE9: a byte written is appended to `text`.
///
/// A read returns 0xE9, the value Bochs returns so a guest can detect the port.
/// A wider write is split like any byte-wide device's, so only its low byte
/// reaches port 0xE9 and is appended.
public final class DebugConsole: ByteWidePortDevice {
    /// Port 0xE9.
    public static let port: UInt16 = 0xE9
    /// The ports it answers: 0xE9.
    public let ports: [ClosedRange<UInt16>] = [port...port]

    /// Every byte the guest has written, in order.
    public private(set) var text: [UInt8] = []

    /// Creates an empty console.
    public init() {}

    /// Returns 0xE9.
    public func readByte(at port: UInt16) -> UInt8 { 0xE9 }

    /// Appends `value` to `text`.
    public func writeByte(_ value: UInt8, at port: UInt16) {
        text.append(value)
    }
}

// MARK: - Snapshots

extension DebugConsole: Snapshotting {
    /// Every register and pending event of the device, as a value (see `Snapshotting`).
    public struct Snapshot {
        fileprivate let text: [UInt8]
    }

    public func snapshot() -> Snapshot {
        Snapshot(text: text)
    }

    public func restore(_ snapshot: Snapshot) {
        text = snapshot.text
    }
}
