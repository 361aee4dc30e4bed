/// A device on the I/O-port bus: what `in`, `out`, `ins` and `outs` reach.
///
/// The CPU calls these between instructions' effects, with the port already
/// checked against IOPL and the TSS I/O bitmap. A device must accept any
/// value and any size: guests program devices with nonsense too.
public protocol PortDevice: AnyObject {
    /// Reads `size` bytes (1, 2 or 4) from `port`; the CPU keeps the low `size` bytes.
    func readPort(_ port: UInt16, size: Int) -> UInt32
    /// Writes the low `size` bytes (1, 2 or 4) of `value` to `port`.
    func writePort(_ port: UInt16, size: Int, value: UInt32)
}

/// A device on the physical memory bus (memory-mapped I/O).
///
/// Offsets are relative to the base the device was attached at; accesses are
/// 1, 2 or 4 bytes and never straddle the device's range.
public protocol MemoryMappedDevice: AnyObject {
    /// Reads `size` bytes at `offset`.
    func readMemory(at offset: UInt32, size: Int) -> UInt32
    /// Writes the low `size` bytes of `value` at `offset`.
    func writeMemory(at offset: UInt32, size: Int, value: UInt32)
}

/// The CPU's side of the interrupt controllers: the INTA cycle.
///
/// A platform asserts INTR with `Machine.setInterruptRequest(_:)`; when the
/// CPU takes the interrupt (IF set, no interrupt shadow) it asks for the vector.
public protocol InterruptAcknowledging: AnyObject {
    /// The vector of the highest-priority pending interrupt, now in service;
    /// nil when the request went away before the CPU acknowledged it.
    func acknowledgeInterrupt() -> UInt8?
}

/// Devices that keep time, as the CPU sees them: the CPU brings them up to
/// its `time` (in ticks: one per instruction, see `CPUState.time`) before
/// every device access and whenever their next deadline comes, and never
/// asks the host clock.
public protocol DeviceTimeline: AnyObject {
    /// The time, in ticks, at which the next device event is due (`UInt64.max`: none).
    var nextDeadline: UInt64 { get }
    /// Brings every device to `time`, firing what is due on the way.
    func advance(to time: UInt64)
}
