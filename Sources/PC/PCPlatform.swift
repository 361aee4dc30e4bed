import I386

/// A uniprocessor PC around a `Machine`: RAM with the legacy holes, the
/// BIOS ROM area, and the devices a kernel of the i686 era expects — the
/// 8259A pair, the 8254 PIT, the CMOS clock, COM1, a local APIC and an I/O
/// APIC, the CGA text display's CRTC, the 8042 keyboard controller and the
/// 0xE9 debug console — wired as on a PC: ISA lines reach both the 8259 pair
/// and the I/O APIC, the 8259's output enters the local APIC's LINT0
/// (virtual-wire mode until software masks it), and the local APIC drives
/// the CPU's INTR.
///
/// Device time is virtual: `nanosecondsPerTick` of it pass per CPU tick
/// (one instruction; see `CPUState.time`), 1 by default, so a run is
/// reproducible instruction for instruction.
public final class PCPlatform: DeviceTimeline {
    /// RAM when no size is given: enough for xv6's 224 MB (PHYSTOP).
    public static let defaultMemorySize: UInt32 = 256 << 20

    /// Bytes of RAM, from physical address 0 (the 640 KB–1 MB hole excepted).
    public let memorySize: UInt32
    /// Nanoseconds of device time per CPU tick.
    public let nanosecondsPerTick: UInt64

    public let clock = VirtualClock()
    public let interruptController = ProgrammableInterruptController()
    public let intervalTimer: IntervalTimer
    public let realTimeClock: RealTimeClock
    public let serialPort: SerialPort
    public let localAPIC: LocalAPIC
    public let ioAPIC: IOAPIC
    public let display: CGATextDisplay
    public let keyboard = KeyboardController()
    public let console = DebugConsole()
    public let interruptRouting: ISAInterruptRouting

    /// Called when software sends an EOI to the local APIC or an 8259 (for a
    /// tracer); nil costs nothing.
    public var endOfInterrupt: ((EndOfInterrupt) -> Void)? {
        didSet { wireEndOfInterruptReports() }
    }

    /// Set when the guest pulsed the reset line (through the keyboard controller).
    public private(set) var resetRequested = false

    /// A PC with `memorySize` bytes of RAM (at least 2 MB).
    public init(memorySize: UInt32 = PCPlatform.defaultMemorySize, nanosecondsPerTick: UInt64 = 1) {
        self.memorySize = max(memorySize, 2 << 20) & ~0xFFF
        self.nanosecondsPerTick = max(nanosecondsPerTick, 1)
        intervalTimer = IntervalTimer(clock: clock)
        realTimeClock = RealTimeClock(clock: clock, memorySize: UInt64(self.memorySize))
        serialPort = SerialPort(clock: clock, base: 0x3F8)
        localAPIC = LocalAPIC(clock: clock, id: 0)
        ioAPIC = IOAPIC(localAPIC: localAPIC, id: 1)
        display = CGATextDisplay(clock: clock)
        interruptRouting = ISAInterruptRouting(interruptController: interruptController, ioAPIC: ioAPIC)
        intervalTimer.irq0 = interruptRouting.line(0)
        keyboard.irq1 = interruptRouting.line(1)
        serialPort.irq = interruptRouting.line(4)
        realTimeClock.irq8 = interruptRouting.line(8)
        localAPIC.externalInterruptController = interruptController
        // The platform owns every device and the clock: the wiring holds them
        // unowned(unsafe), so device time and interrupts pay no reference counting.
        interruptController.outputChanged = { [unowned(unsafe) localAPIC] level in localAPIC.setLINT0(level) }
        keyboard.resetRequested = { [unowned(unsafe) self] in self.resetRequested = true }
    }

    /// Physical addresses of the PC's memory map.
    public enum Layout {
        /// The end of conventional memory (640 KB).
        public static let conventionalEnd: UInt32 = 0xA_0000
        /// Video memory (RAM here), up to the option-ROM area.
        public static let videoEnd: UInt32 = 0xC_0000
        /// The BIOS ROM: read-only, where the MP tables live.
        public static let biosROM: UInt32 = 0xF_0000
        /// The first megabyte's end, where extended memory starts.
        public static let extendedMemory: UInt32 = 0x10_0000
    }

    /// Maps RAM and ROM (with `layingOutMemory`; addresses with nothing
    /// behind them then read as all ones and drop writes, as on a PC bus),
    /// attaches every device to `machine`'s buses and wires the interrupt line
    /// and the device clock. Without `layingOutMemory` the machine's memory
    /// stays as its input mapped it (a micro-image that wants the devices).
    public func attach(to machine: Machine, layingOutMemory: Bool = true) {
        let memory = machine.physicalMemory
        if layingOutMemory {
            memory.faultsOnUnbackedAccess = false
            memory.map(0, size: Layout.videoEnd)
            memory.map(Layout.biosROM, size: Layout.extendedMemory - Layout.biosROM, permissions: [.read, .execute])
            memory.map(Layout.extendedMemory, size: memorySize - Layout.extendedMemory)
        }
        memory.attach(localAPIC, at: LocalAPIC.defaultBaseAddress, size: LocalAPIC.size)
        memory.attach(ioAPIC, at: IOAPIC.defaultBaseAddress, size: IOAPIC.size)
        for device in [interruptController, intervalTimer, realTimeClock, serialPort, display, keyboard, console]
            as [any PortMappedDevice] {
            for range in device.ports { machine.ports.attach(device, ports: range) }
        }
        localAPIC.outputChanged = { [unowned(unsafe) machine] level in machine.setInterruptRequest(level) }
        keyboard.resetRequested = { [unowned(unsafe) self, unowned(unsafe) machine] in
            self.resetRequested = true
            machine.requestReset()
        }
        machine.interruptController = localAPIC
        machine.timeline = self
    }

    // MARK: DeviceTimeline

    /// The CPU tick at which the next device event is due.
    public var nextDeadline: UInt64 {
        let deadline = clock.nextDeadline
        guard deadline != .max, nanosecondsPerTick != 1 else { return deadline }
        let (ticks, remainder) = deadline.quotientAndRemainder(dividingBy: nanosecondsPerTick)
        return remainder == 0 ? ticks : ticks &+ 1
    }

    /// Brings every device to CPU tick `time`.
    public func advance(to time: UInt64) {
        let (nanoseconds, overflow) = time.multipliedReportingOverflow(by: nanosecondsPerTick)
        clock.advance(to: overflow ? .max : nanoseconds)
    }
}

// MARK: - Snapshots

extension PCPlatform: Snapshotting {
    /// The clock, every device and the reset latch, as values.
    public struct Snapshot {
        fileprivate let clock: VirtualClock.Snapshot
        fileprivate let interruptController: ProgrammableInterruptController.Snapshot
        fileprivate let intervalTimer: IntervalTimer.Snapshot
        fileprivate let realTimeClock: RealTimeClock.Snapshot
        fileprivate let serialPort: SerialPort.Snapshot
        fileprivate let localAPIC: LocalAPIC.Snapshot
        fileprivate let ioAPIC: IOAPIC.Snapshot
        fileprivate let display: CGATextDisplay.Snapshot
        fileprivate let keyboard: KeyboardController.Snapshot
        fileprivate let console: DebugConsole.Snapshot
        fileprivate let resetRequested: Bool
    }

    public func snapshot() -> Snapshot {
        Snapshot(clock: clock.snapshot(), interruptController: interruptController.snapshot(),
                 intervalTimer: intervalTimer.snapshot(), realTimeClock: realTimeClock.snapshot(),
                 serialPort: serialPort.snapshot(), localAPIC: localAPIC.snapshot(), ioAPIC: ioAPIC.snapshot(),
                 display: display.snapshot(), keyboard: keyboard.snapshot(), console: console.snapshot(),
                 resetRequested: resetRequested)
    }

    public func restore(_ snapshot: Snapshot) {
        clock.restore(snapshot.clock)
        interruptController.restore(snapshot.interruptController)
        intervalTimer.restore(snapshot.intervalTimer)
        realTimeClock.restore(snapshot.realTimeClock)
        serialPort.restore(snapshot.serialPort)
        localAPIC.restore(snapshot.localAPIC)
        ioAPIC.restore(snapshot.ioAPIC)
        display.restore(snapshot.display)
        keyboard.restore(snapshot.keyboard)
        console.restore(snapshot.console)
        resetRequested = snapshot.resetRequested
    }
}
