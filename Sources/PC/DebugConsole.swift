import I386

/// Port 0xE9, the Bochs/QEMU debug console: every byte written is appended
/// to `text`. A read returns 0xE9, as Bochs answers, so a guest can detect it.
public final class DebugConsole: PortDevice {
    /// The port it answers on.
    public static let port: UInt16 = 0xE9

    /// Every byte written so far.
    public private(set) var text: [UInt8] = []

    /// An empty console.
    public init() {}

    public func readPort(_ port: UInt16, size: Int) -> UInt32 { 0xE9 }

    public func writePort(_ port: UInt16, size: Int, value: UInt32) {
        text.append(UInt8(truncatingIfNeeded: value))
    }
}
