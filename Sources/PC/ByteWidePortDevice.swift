/// A port device whose registers are all one byte wide, as every ISA device of a PC is.
///
/// A 2- or 4-byte access is split into byte accesses at consecutive ports, the
/// way a PC's bus splits a wide cycle to an 8-bit device: byte i goes to
/// `port + i` when the device decodes that port; a byte at a port it does not
/// decode reads 0xFF and is not written. A size outside 1…4 counts as the
/// nearest of them, so no access can trap.
public protocol ByteWidePortDevice: PortMappedDevice {
    /// Reads the register at `port` (one of `ports`), with the side effects a read has.
    func readByte(at port: UInt16) -> UInt8
    /// Writes `value` to the register at `port` (one of `ports`).
    func writeByte(_ value: UInt8, at port: UInt16)
}

extension ByteWidePortDevice {
    /// Reads `size` bytes from consecutive ports starting at `port`, low byte first.
    public func readPort(_ port: UInt16, size: Int) -> UInt32 {
        var value: UInt32 = 0
        for index in 0..<min(max(size, 1), 4) {
            let current = port &+ UInt16(index)
            let byte = decodes(current) ? readByte(at: current) : 0xFF
            value |= UInt32(byte) << (8 * index)
        }
        return value
    }

    /// Writes the low `size` bytes of `value` to consecutive ports starting at `port`.
    public func writePort(_ port: UInt16, size: Int, value: UInt32) {
        for index in 0..<min(max(size, 1), 4) {
            let current = port &+ UInt16(index)
            guard decodes(current) else { continue }
            writeByte(UInt8(truncatingIfNeeded: value >> (8 * index)), at: current)
        }
    }
}
