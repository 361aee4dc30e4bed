import I386

/// A port device that names the I/O ports it decodes, so a platform can attach it to the CPU's bus.
public protocol PortMappedDevice: PortDevice {
    /// The ports this device answers; the platform sends it accesses to these ports only.
    var ports: [ClosedRange<UInt16>] { get }
}

extension PortMappedDevice {
    /// Whether `port` is one of the device's ports.
    public func decodes(_ port: UInt16) -> Bool {
        ports.contains { $0.contains(port) }
    }
}
