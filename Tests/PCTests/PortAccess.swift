import I386
import PC

/// `inb`/`outb` spelled as a guest would, for tests that go through the ports.
extension PortDevice {
    func outb(_ port: UInt16, _ value: UInt8) {
        writePort(port, size: 1, value: UInt32(value))
    }

    func inb(_ port: UInt16) -> UInt8 {
        UInt8(truncatingIfNeeded: readPort(port, size: 1))
    }
}
