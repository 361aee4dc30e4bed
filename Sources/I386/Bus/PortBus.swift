/// The I/O-port address space: which device answers each of the 65,536
/// ports. A port nothing answers reads as all ones (a floating ISA bus) and
/// drops writes; both are counted, so a user sees what a guest touched that
/// kstep does not model.
public final class PortBus {
    private var devices: [any PortDevice] = []
    /// Per port: 0 for none, else the device's index + 1.
    private var owners = [UInt8](repeating: 0, count: 65536)

    /// Reads and writes of ports no device answers.
    public private(set) var unmodelledReads = 0
    public private(set) var unmodelledWrites = 0
    /// The unmodelled ports touched, in the order first touched.
    public private(set) var unmodelledPorts: [UInt16] = []

    init() {}

    /// Attaches `device` to `ports` (a later attachment of a port replaces the earlier one).
    public func attach(_ device: any PortDevice, ports: ClosedRange<UInt16>) {
        let index: Int
        if let existing = devices.firstIndex(where: { $0 === device }) {
            index = existing
        } else {
            precondition(devices.count < 255, "kstep: more than 255 port devices")
            devices.append(device)
            index = devices.count - 1
        }
        for port in ports { owners[Int(port)] = UInt8(index + 1) }
    }

    /// The device answering `port`, if any.
    public func device(at port: UInt16) -> (any PortDevice)? {
        let owner = owners[Int(port)]
        return owner == 0 ? nil : devices[Int(owner) - 1]
    }

    func read(_ port: UInt16, size: Int) -> UInt32 {
        guard let device = device(at: port) else {
            unmodelledReads += 1
            noteUnmodelled(port)
            return sizeMask(size)
        }
        return device.readPort(port, size: size) & sizeMask(size)
    }

    func write(_ port: UInt16, size: Int, value: UInt32) {
        guard let device = device(at: port) else {
            unmodelledWrites += 1
            noteUnmodelled(port)
            return
        }
        device.writePort(port, size: size, value: value & sizeMask(size))
    }

    private func noteUnmodelled(_ port: UInt16) {
        if unmodelledPorts.count < 64, !unmodelledPorts.contains(port) { unmodelledPorts.append(port) }
    }
}
