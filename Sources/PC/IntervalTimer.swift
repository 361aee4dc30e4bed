import I386

/// The 8254 programmable interval timer (ports 0x40–0x43) and the timer bits of
/// the PC's system control port B (0x61).
///
/// The input clock is 1,193,182 Hz, derived from the `VirtualClock` with exact
/// integer arithmetic: tick k is the first nanosecond t with ⌊t × 1,193,182 / 10⁹⌋ ≥ k.
/// Counts and OUT are computed from the tick number when read; channel 0's OUT
/// edges are scheduled on the clock and reported through `irq0` (no polling).
///
/// - Modes 0–5 (6 and 7 act as 2 and 3), access low byte, high byte or low then
///   high byte, binary or BCD, the counter latch command and the read-back
///   command (status and count latches, status first).
/// - A written count of 0 means 65,536 (10,000 in BCD). BCD digits above 9 are
///   taken at their binary value, so nonsense counts are odd but never trap.
/// - A new count takes effect at once and restarts the period (see
///   `IntervalTimerChannel`); a count of 1 in mode 2 (illegal) keeps OUT high.
/// - Power-on: every channel is unprogrammed with OUT low and does not count
///   (a real 8254 powers up undefined; a BIOS would program channel 0, and kstep
///   has no BIOS). Channel 0 and 1 gates are high; channel 2's is port 0x61 bit 0.
/// - Port 0x61 reads: bits 0–3 as written (gate 2, speaker data, parity and
///   channel check enables), bit 4 the refresh toggle (flips every 15,085 ns of
///   virtual time, as QEMU times it), bit 5 OUT2, bits 6–7 zero (no NMI sources).
public final class IntervalTimer: ByteWidePortDevice {
    /// Ports 0x40–0x42 (counters), 0x43 (control word) and 0x61 (system control port B).
    public let ports: [ClosedRange<UInt16>] = [0x40...0x43, 0x61...0x61]

    /// Called with channel 0's OUT whenever it changes: ISA IRQ0.
    public var irq0: ((Bool) -> Void)?

    private let clock: VirtualClock
    private var channels = [
        IntervalTimerChannel(gate: true), IntervalTimerChannel(gate: true), IntervalTimerChannel(gate: false),
    ]
    /// Channel 0's OUT as last reported through `irq0`.
    private var reportedOutput = false
    private var pendingEdge: TimerToken?
    /// Port 0x61 bits 0–3.
    private var controlPortB: UInt8 = 0

    /// The refresh request toggle's half period (port 0x61 bit 4).
    static let refreshHalfPeriod: UInt64 = 15_085

    /// Creates the timer on `clock`, every channel unprogrammed.
    public init(clock: VirtualClock) {
        self.clock = clock
    }

    /// Its scheduled events hold it unowned: they go when it does.
    deinit {
        if let token = pendingEdge { clock.cancel(token) }
    }

    /// Whether the speaker is sounding: port 0x61 bit 1 (speaker data) and channel 2's OUT.
    public var isSpeakerHigh: Bool {
        controlPortB & 0x02 != 0 && channels[2].output(atTick: currentTick)
    }

    /// Reads a counter or port 0x61 (a read of 0x43 returns 0xFF: the control word is write-only).
    public func readByte(at port: UInt16) -> UInt8 {
        switch port {
        case 0x40...0x42:
            return channels[Int(port - 0x40)].readByte(atTick: currentTick)
        case 0x61:
            var value = controlPortB
            if (clock.now / Self.refreshHalfPeriod) & 1 != 0 { value |= 0x10 }
            if channels[2].output(atTick: currentTick) { value |= 0x20 }
            return value
        default:
            return 0xFF
        }
    }

    /// Writes a counter, the control word or port 0x61.
    public func writeByte(_ value: UInt8, at port: UInt16) {
        let tick = currentTick
        switch port {
        case 0x40...0x42:
            channels[Int(port - 0x40)].writeCountByte(value, atTick: tick)
        case 0x43:
            writeControlWord(value, atTick: tick)
        case 0x61:
            controlPortB = value & 0x0F
            channels[2].setGate(value & 0x01 != 0, atTick: tick)
        default:
            return
        }
        updateChannel0Output()
    }

    private func writeControlWord(_ value: UInt8, atTick tick: UInt64) {
        let select = Int(value >> 6)
        guard select == 3 else {
            if value & 0x30 == 0 {
                channels[select].latchCount(atTick: tick)
            } else {
                channels[select].writeControlWord(value)
            }
            return
        }
        // Read-back: bit 5 clear latches counts, bit 4 clear latches status, bits 1–3 pick counters 0–2.
        for index in 0..<3 where value & (0x02 << index) != 0 {
            if value & 0x10 == 0 { channels[index].latchStatus(atTick: tick) }
            if value & 0x20 == 0 { channels[index].latchCount(atTick: tick) }
        }
    }

    private var currentTick: UInt64 { TickRate.intervalTimer.ticks(at: clock.now) }

    /// Schedules channel 0's next OUT edge, then reports OUT if it changed (in that
    /// order, so an `irq0` handler that reprograms the timer leaves one edge scheduled).
    private func updateChannel0Output() {
        if let pendingEdge { clock.cancel(pendingEdge) }
        pendingEdge = nil
        let tick = currentTick
        if let edgeTick = channels[0].nextOutputChange(afterTick: tick) {
            pendingEdge = clock.schedule(at: TickRate.intervalTimer.nanoseconds(atTick: edgeTick)) { [unowned(unsafe) self] in
                self.pendingEdge = nil
                self.updateChannel0Output()
            }
        }
        let output = channels[0].output(atTick: tick)
        if output != reportedOutput {
            reportedOutput = output
            irq0?(output)
        }
    }
}

// MARK: - Snapshots

extension IntervalTimer: Snapshotting {
    /// Every register and pending event of the device, as a value (see `Snapshotting`).
    public struct Snapshot {
        fileprivate let channels: [IntervalTimerChannel]
        fileprivate let reportedOutput: Bool
        fileprivate let pendingEdge: TimerToken?
        fileprivate let controlPortB: UInt8
    }

    public func snapshot() -> Snapshot {
        Snapshot(channels: channels, reportedOutput: reportedOutput, pendingEdge: pendingEdge, controlPortB: controlPortB)
    }

    public func restore(_ snapshot: Snapshot) {
        channels = snapshot.channels
        reportedOutput = snapshot.reportedOutput
        pendingEdge = snapshot.pendingEdge
        controlPortB = snapshot.controlPortB
    }
}
