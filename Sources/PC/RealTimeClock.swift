import I386

/// The MC146818 real-time clock and its CMOS RAM (ports 0x70 index, 0x71 data).
///
/// Time of day starts at a fixed date, by default 2006-01-01 00:00:00 (a Sunday,
/// in the Linux 2.6 era), at virtual time 0, and advances one second per 10⁹ ns
/// of the `VirtualClock`: never the host's time, so runs are reproducible.
///
/// - Registers 0x00–0x09 and the century byte 0x32 show the date in BCD or
///   binary (register B's DM bit) and the hour in 24- or 12-hour form (B's 24/12
///   bit; 12-hour PM is bit 7). The day of the week (0x06, 1 = Sunday) follows
///   from the date; writes to it are ignored.
/// - Writes to the time and date take effect at once, normalized as C's `mktime`
///   would (a BCD nibble above 9 counts with its binary value); while B's SET
///   bit is on, the clock is held and written fields are kept as written until
///   SET is cleared. Seconds tick at whole multiples of 10⁹ ns of virtual time.
/// - Register A: bit 7 UIP is set for the 244 µs before each update; bits 0–3
///   choose the periodic rate (32,768 Hz ÷ 2^(RS−1); RS 1 and 2 are 256 and 128 Hz;
///   0 is off). The divider bits are stored but the time base always runs.
/// - Register C reads IRQF, PF, AF, UF and clears them; IRQ8 is high while any
///   flag is set whose enable bit (B's PIE, AIE, UIE) is set. PF and UF are set
///   whether or not their interrupt is enabled; AF only while AIE is set.
///   Register D reads 0x80 (valid RAM and time).
/// - Port 0x70 keeps bit 7 as the NMI mask (`isNMIMasked`); reading port 0x70
///   returns 0xFF (it is write-only on a PC, as QEMU shows it).
/// - The other CMOS bytes are plain RAM; the memory-size bytes come from `memorySize`.
public final class RealTimeClock: ByteWidePortDevice {
    /// Ports 0x70 (index and NMI mask) and 0x71 (data).
    public let ports: [ClosedRange<UInt16>] = [0x70...0x71]

    /// Called with IRQ8's new level whenever it changes.
    public var irq8: ((Bool) -> Void)?

    /// Whether the last index written had bit 7 set (NMI disabled on a PC).
    public private(set) var isNMIMasked = false

    /// 2006-01-01 00:00:00 as seconds since 1970-01-01 00:00:00.
    public static let defaultStartTime: Int64 = 1_136_073_600

    private enum Register {
        static let seconds = 0x00, secondsAlarm = 0x01, minutes = 0x02, minutesAlarm = 0x03
        static let hours = 0x04, hoursAlarm = 0x05, dayOfWeek = 0x06, dayOfMonth = 0x07
        static let month = 0x08, year = 0x09, a = 0x0A, b = 0x0B, c = 0x0C, d = 0x0D, century = 0x32
    }

    private enum Flag {
        static let interruptRequest: UInt8 = 0x80, periodic: UInt8 = 0x40, alarm: UInt8 = 0x20, updateEnded: UInt8 = 0x10
    }

    private enum ControlB {
        static let set: UInt8 = 0x80, binary: UInt8 = 0x04, twentyFourHour: UInt8 = 0x02
        static let interruptEnables: UInt8 = 0x70
    }

    private static let nanosecondsPerSecond: UInt64 = 1_000_000_000
    /// UIP is set this long before each update.
    private static let updateWarning: UInt64 = 244_000

    private let clock: VirtualClock
    private var ram = [UInt8](repeating: 0, count: 128)
    private var index = 0
    /// The time of day is `secondsAtVirtualZero` plus the whole seconds of virtual time.
    private var secondsAtVirtualZero: Int64
    /// The fields while SET holds the clock.
    private var heldTime: CalendarTime?
    private var flags: UInt8 = 0
    /// Virtual time up to which PF and UF have been brought up to date.
    private var flagsCurrentAt: UInt64
    private var isIRQ8High = false
    private var periodicEvent: TimerToken?
    private var secondEvent: TimerToken?

    /// Creates the RTC on `clock`, reading `startTime` (seconds since 1970) at virtual
    /// time 0, with CMOS memory-size bytes for `memorySize` bytes of RAM.
    public init(clock: VirtualClock, memorySize: UInt64 = 0, startTime: Int64 = RealTimeClock.defaultStartTime) {
        self.clock = clock
        secondsAtVirtualZero = startTime
        flagsCurrentAt = clock.now
        ram[Register.a] = 0x26  // 32.768 kHz time base, 1024 Hz periodic rate
        ram[Register.b] = ControlB.twentyFourHour
        storeMemorySize(memorySize)
    }

    /// Its scheduled events hold it unowned: they go when it does.
    deinit {
        if let token = periodicEvent { clock.cancel(token) }
        if let token = secondEvent { clock.cancel(token) }
    }

    /// Reads port 0x70 (0xFF) or the selected CMOS register.
    public func readByte(at port: UInt16) -> UInt8 {
        guard port == 0x71 else { return 0xFF }
        return readRegister(index)
    }

    /// Writes the index (0x70) or the selected CMOS register (0x71).
    public func writeByte(_ value: UInt8, at port: UInt16) {
        if port == 0x70 {
            index = Int(value & 0x7F)
            isNMIMasked = value & 0x80 != 0
        } else {
            writeRegister(index, value)
        }
    }

    // MARK: - Registers

    private func readRegister(_ register: Int) -> UInt8 {
        switch register {
        case Register.seconds: return encode(currentTime.second)
        case Register.minutes: return encode(currentTime.minute)
        case Register.hours: return encodeHour(currentTime.hour)
        case Register.dayOfWeek: return encode(currentTime.dayOfWeek)
        case Register.dayOfMonth: return encode(currentTime.day)
        case Register.month: return encode(currentTime.month)
        case Register.year: return encode(Self.modulo(currentTime.year, 100))
        case Register.century: return encode(Self.modulo(currentTime.year / 100, 100))
        case Register.a:
            return ram[Register.a] | (isUpdateImminent ? 0x80 : 0)
        case Register.c:
            catchUpFlags()
            let value = flags | (isIRQ8High ? Flag.interruptRequest : 0)
            flags = 0
            updateIRQ8()
            return value
        case Register.d:
            return 0x80
        default:
            return ram[register]
        }
    }

    private func writeRegister(_ register: Int, _ value: UInt8) {
        switch register {
        case Register.seconds: changeTime { $0.second = self.decode(value) }
        case Register.minutes: changeTime { $0.minute = self.decode(value) }
        case Register.hours: changeTime { $0.hour = self.decodeHour(value) }
        case Register.dayOfMonth: changeTime { $0.day = self.decode(value) }
        case Register.month: changeTime { $0.month = self.decode(value) }
        case Register.year: changeTime { $0.year = $0.year - Self.modulo($0.year, 100) + self.decode(value) }
        case Register.century: changeTime { $0.year = self.decode(value) * 100 + Self.modulo($0.year, 100) }
        case Register.dayOfWeek, Register.c, Register.d:
            break  // derived or read-only
        case Register.a:
            catchUpFlags()
            ram[Register.a] = value & 0x7F
            reschedule()
        case Register.b:
            writeControlB(value)
        default:
            ram[register] = value
        }
    }

    private func writeControlB(_ value: UInt8) {
        catchUpFlags()
        var value = value
        let wasHeld = heldTime != nil
        if value & ControlB.set != 0 {
            value &= ~Flag.updateEnded  // setting SET clears UIE
            if !wasHeld { heldTime = currentTime }
        } else if let held = heldTime {
            heldTime = nil
            secondsAtVirtualZero = held.secondsSince1970 &- Int64(clock.now / Self.nanosecondsPerSecond)
        }
        ram[Register.b] = value
        updateIRQ8()
        reschedule()
    }

    // MARK: - Time of day

    private var currentTime: CalendarTime {
        heldTime ?? CalendarTime(secondsSince1970: secondsAtVirtualZero &+ Int64(clock.now / Self.nanosecondsPerSecond))
    }

    /// Applies a field write: to the held fields while SET is on, else to the running clock.
    private func changeTime(_ change: (inout CalendarTime) -> Void) {
        if var held = heldTime {
            change(&held)
            heldTime = held
            return
        }
        var time = currentTime
        change(&time)
        secondsAtVirtualZero = time.secondsSince1970 &- Int64(clock.now / Self.nanosecondsPerSecond)
    }

    private var isUpdateImminent: Bool {
        heldTime == nil && clock.now % Self.nanosecondsPerSecond >= Self.nanosecondsPerSecond - Self.updateWarning
    }

    private var isBinary: Bool { ram[Register.b] & ControlB.binary != 0 }

    private func encode(_ value: Int) -> UInt8 {
        let value = Self.modulo(value, isBinary ? 256 : 100)
        return isBinary ? UInt8(value) : UInt8((value / 10) << 4 | value % 10)
    }

    private func decode(_ value: UInt8) -> Int {
        isBinary ? Int(value) : Int(value >> 4) * 10 + Int(value & 0x0F)
    }

    private func encodeHour(_ hour: Int) -> UInt8 {
        guard ram[Register.b] & ControlB.twentyFourHour == 0 else { return encode(hour) }
        let twelveHour = Self.modulo(hour, 12) == 0 ? 12 : Self.modulo(hour, 12)
        return encode(twelveHour) | (Self.modulo(hour, 24) >= 12 ? 0x80 : 0)
    }

    private func decodeHour(_ value: UInt8) -> Int {
        guard ram[Register.b] & ControlB.twentyFourHour == 0 else { return decode(value) }
        return Self.modulo(decode(value & 0x7F), 12) + (value & 0x80 != 0 ? 12 : 0)
    }

    private static func modulo(_ value: Int, _ modulus: Int) -> Int {
        (value % modulus + modulus) % modulus
    }

    // MARK: - Flags and IRQ8

    /// The periodic interrupt's period in 32,768 Hz ticks; nil when RS is 0.
    private var periodicTicks: UInt64? {
        let rate = ram[Register.a] & 0x0F
        switch rate {
        case 0: return nil
        case 1, 2: return UInt64(1) << (rate + 6)
        default: return UInt64(1) << (rate - 1)
        }
    }

    /// Sets PF and UF for every periodic tick and update since the flags were last brought up to date.
    private func catchUpFlags() {
        let now = clock.now
        defer { flagsCurrentAt = now }
        guard now > flagsCurrentAt else { return }
        if let period = periodicTicks,
           TickRate.realTimeClock.ticks(at: now) / period > TickRate.realTimeClock.ticks(at: flagsCurrentAt) / period {
            flags |= Flag.periodic
        }
        if heldTime == nil, now / Self.nanosecondsPerSecond > flagsCurrentAt / Self.nanosecondsPerSecond {
            flags |= Flag.updateEnded
        }
    }

    private func updateIRQ8() {
        let isHigh = flags & ram[Register.b] & ControlB.interruptEnables != 0
        guard isHigh != isIRQ8High else { return }
        isIRQ8High = isHigh
        irq8?(isHigh)
    }

    /// Schedules the periodic tick while PIE is set, and the once-a-second update while UIE or AIE is.
    private func reschedule() {
        if let periodicEvent { clock.cancel(periodicEvent) }
        if let secondEvent { clock.cancel(secondEvent) }
        periodicEvent = nil
        secondEvent = nil
        let enables = ram[Register.b]
        if enables & Flag.periodic != 0, let period = periodicTicks {
            let next = (TickRate.realTimeClock.ticks(at: clock.now) / period).saturatingAdd(1).saturatingMultiply(period)
            periodicEvent = clock.schedule(at: TickRate.realTimeClock.nanoseconds(atTick: next)) { [unowned(unsafe) self] in
                self.periodicEvent = nil
                self.raiseScheduledFlags()
            }
        }
        if enables & (Flag.alarm | Flag.updateEnded) != 0, heldTime == nil {
            let next = (clock.now / Self.nanosecondsPerSecond).saturatingAdd(1).saturatingMultiply(Self.nanosecondsPerSecond)
            secondEvent = clock.schedule(at: next) { [unowned(unsafe) self] in
                self.secondEvent = nil
                self.checkAlarm()
                self.raiseScheduledFlags()
            }
        }
    }

    private func raiseScheduledFlags() {
        catchUpFlags()
        updateIRQ8()
        reschedule()
    }

    /// At an update with AIE set: AF when seconds, minutes and hours match their alarms
    /// (an alarm byte of 0xC0–0xFF matches any value).
    private func checkAlarm() {
        guard ram[Register.b] & Flag.alarm != 0 else { return }
        let pairs = [
            (Register.secondsAlarm, Register.seconds), (Register.minutesAlarm, Register.minutes),
            (Register.hoursAlarm, Register.hours),
        ]
        let matches = pairs.allSatisfy { alarm, field in
            ram[alarm] & 0xC0 == 0xC0 || ram[alarm] == readRegister(field)
        }
        if matches { flags |= Flag.alarm }
    }

    // MARK: - Memory size

    /// The BIOS's CMOS memory bytes: base memory in KB, memory above 1 MB in KB
    /// (twice, as AMI and Award BIOSes keep it), memory above 16 MB in 64 KB units.
    private func storeMemorySize(_ bytes: UInt64) {
        let kilobyte: UInt64 = 1024, megabyte: UInt64 = 1024 * 1024
        let base = min(bytes / kilobyte, 640)
        let extended = min(bytes > megabyte ? (bytes - megabyte) / kilobyte : 0, 0xFFFF)
        let high = min(bytes > 16 * megabyte ? (bytes - 16 * megabyte) / (64 * kilobyte) : 0, 0xFFFF)
        for (offset, value) in [(0x15, base), (0x17, extended), (0x30, extended), (0x34, high)] {
            ram[offset] = UInt8(truncatingIfNeeded: value)
            ram[offset + 1] = UInt8(truncatingIfNeeded: value >> 8)
        }
    }
}

// MARK: - Snapshots

extension RealTimeClock: Snapshotting {
    /// Every register and pending event of the device, as a value (see `Snapshotting`).
    public struct Snapshot {
        fileprivate let isNMIMasked: Bool
        fileprivate let ram: [UInt8]
        fileprivate let index: Int
        fileprivate let secondsAtVirtualZero: Int64
        fileprivate let heldTime: CalendarTime?
        fileprivate let flags: UInt8
        fileprivate let flagsCurrentAt: UInt64
        fileprivate let isIRQ8High: Bool
        fileprivate let periodicEvent: TimerToken?
        fileprivate let secondEvent: TimerToken?
    }

    public func snapshot() -> Snapshot {
        Snapshot(isNMIMasked: isNMIMasked, ram: ram, index: index, secondsAtVirtualZero: secondsAtVirtualZero, heldTime: heldTime, flags: flags, flagsCurrentAt: flagsCurrentAt, isIRQ8High: isIRQ8High, periodicEvent: periodicEvent, secondEvent: secondEvent)
    }

    public func restore(_ snapshot: Snapshot) {
        isNMIMasked = snapshot.isNMIMasked
        ram = snapshot.ram
        index = snapshot.index
        secondsAtVirtualZero = snapshot.secondsAtVirtualZero
        heldTime = snapshot.heldTime
        flags = snapshot.flags
        flagsCurrentAt = snapshot.flagsCurrentAt
        isIRQ8High = snapshot.isIRQ8High
        periodicEvent = snapshot.periodicEvent
        secondEvent = snapshot.secondEvent
    }
}
