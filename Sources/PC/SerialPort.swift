import I386

/// A 16550A UART, by default COM1 at 0x3F8–0x3FF on IRQ4.
///
/// Registers: RBR/THR and DLL (offset 0), IER and DLM (1), IIR/FCR (2), LCR (3),
/// MCR (4), LSR (5), MSR (6), SCR (7); LCR bit 7 (DLAB) selects the divisor latch.
///
/// - Transmit is instantaneous: a byte written to THR goes to `output` at once
///   (or, in loopback, into the receiver), so THRE and TEMT always read 1, and a
///   write to THR drops the THR-empty interrupt and raises it again (an edge on IRQ4).
/// - Receive is paced in virtual time: bytes given to `receive(_:)` wait in a host
///   queue and enter the receiver one 10-bit frame apart, a frame being
///   divisor × 16 × 10 / 1,843,200 s (1,041,667 ns at divisor 12, 9600 baud).
///   Host input is never lost: while the receiver is full (1 byte with FIFOs off,
///   16 with them on) the next byte waits, as with hardware flow control; so
///   overrun (LSR OE) only happens in loopback. A divisor of 0 paces as 65,536 (the
///   slowest rate: the 16-bit divisor counter wraps), so it neither traps nor stalls.
/// - FIFOs (FCR bit 0) with clear bits and RX trigger levels 1, 4, 8, 14; the
///   character timeout interrupt fires after 4 frame times without a byte
///   arriving or being read while the RX FIFO holds data.
/// - IIR reports, by priority: line status (OE, with IER bit 2), received data or
///   timeout (IER bit 0), THR empty (IER bit 1; cleared by reading IIR or writing
///   THR; set when IER bit 1 goes on), modem status (IER bit 3); bits 7–6 are set
///   while FIFOs are on.
/// - MCR loopback routes THR to RBR and MCR's DTR, RTS, OUT1, OUT2 to DSR, CTS, RI,
///   DCD. Outside loopback the modem inputs read CTS, DSR and DCD on (MSR 0xB0).
/// - IRQ4 follows IIR: OUT2 does not gate it (as in QEMU; xv6 leaves MCR 0 and
///   still expects receive interrupts).
/// - Reset: divisor 12, 8 data bits not set (LCR 0), FIFOs off, every interrupt off.
///   LCR's framing bits are stored only; bytes are always 8 bits.
public final class SerialPort: ByteWidePortDevice {
    /// The eight registers from the base port (0x3F8 for COM1).
    public let ports: [ClosedRange<UInt16>]

    /// Called with the interrupt output's new level whenever it changes (IRQ4 for COM1).
    public var irq: ((Bool) -> Void)?

    /// Receives every byte the guest transmits (outside loopback).
    public var output: (UInt8) -> Void = { _ in }

    private enum LineStatus {
        static let dataReady: UInt8 = 0x01, overrun: UInt8 = 0x02
        static let transmitterHoldingEmpty: UInt8 = 0x20, transmitterEmpty: UInt8 = 0x40
    }

    private enum InterruptEnable {
        static let receivedData: UInt8 = 0x01, transmitterEmpty: UInt8 = 0x02
        static let lineStatus: UInt8 = 0x04, modemStatus: UInt8 = 0x08
    }

    private enum InterruptIdentity {
        static let none: UInt8 = 0x01, lineStatus: UInt8 = 0x06, receivedData: UInt8 = 0x04
        static let characterTimeout: UInt8 = 0x0C, transmitterEmpty: UInt8 = 0x02, modemStatus: UInt8 = 0x00
    }

    private static let triggerLevels = [1, 4, 8, 14]
    private static let fifoDepth = 16

    private let clock: VirtualClock
    private let base: UInt16

    private var divisor: UInt16 = 12
    private var interruptEnable: UInt8 = 0
    private var lineControl: UInt8 = 0
    private var modemControl: UInt8 = 0
    private var scratch: UInt8 = 0
    private var areFIFOsEnabled = false
    private var triggerLevel = 1
    private var hasOverrun = false
    private var isTransmitterEmptyInterruptPending = false
    private var isCharacterTimeoutPending = false
    private var modemStatusDeltas: UInt8 = 0
    private var modemStatusLines: UInt8 = 0xB0
    private var receiver = ByteQueue()
    private var lastReceived: UInt8 = 0
    private var hostInput = ByteQueue()
    private var arrivalEvent: TimerToken?
    private var timeoutEvent: TimerToken?
    private var isIRQHigh = false

    /// Creates the UART at `base` (0x3F8 for COM1, 0x2F8 for COM2) on `clock`.
    public init(clock: VirtualClock, base: UInt16 = 0x3F8) {
        self.clock = clock
        self.base = base
        ports = [base...(base &+ 7)]
    }

    /// Its scheduled events hold it unowned: they go when it does.
    deinit {
        if let token = arrivalEvent { clock.cancel(token) }
        if let token = timeoutEvent { clock.cancel(token) }
    }

    /// Queues bytes from the host for the guest to receive, one frame time apart.
    public func receive(_ bytes: [UInt8]) {
        hostInput.append(contentsOf: bytes)
        scheduleArrivalIfNeeded()
    }

    /// True once the guest enabled the received-data interrupt (IER bit 0): a
    /// driver that waits for input by interrupt is ready for it.
    public var isReceiveInterruptEnabled: Bool { interruptEnable & InterruptEnable.receivedData != 0 }

    /// Host bytes queued that have not reached the receiver yet.
    public var pendingInputCount: Int { hostInput.count }

    /// Reads the register at `port` (see the type's note).
    public func readByte(at port: UInt16) -> UInt8 {
        defer { updateIRQ() }
        switch port &- base {
        case 0: return isDivisorLatchSelected ? UInt8(truncatingIfNeeded: divisor) : readReceiverBuffer()
        case 1: return isDivisorLatchSelected ? UInt8(truncatingIfNeeded: divisor >> 8) : interruptEnable
        case 2: return readInterruptIdentification()
        case 3: return lineControl
        case 4: return modemControl
        case 5: return readLineStatus()
        case 6: return readModemStatus()
        default: return scratch
        }
    }

    /// Writes the register at `port` (see the type's note); LSR and MSR ignore writes.
    public func writeByte(_ value: UInt8, at port: UInt16) {
        defer { updateIRQ() }
        switch port &- base {
        case 0:
            if isDivisorLatchSelected {
                divisor = divisor & 0xFF00 | UInt16(value)
            } else {
                transmit(value)
            }
        case 1:
            if isDivisorLatchSelected {
                divisor = divisor & 0x00FF | UInt16(value) << 8
            } else {
                writeInterruptEnable(value)
            }
        case 2: writeFIFOControl(value)
        case 3: lineControl = value
        case 4: writeModemControl(value)
        case 7: scratch = value
        default: break
        }
    }

    // MARK: - Registers

    private var isDivisorLatchSelected: Bool { lineControl & 0x80 != 0 }
    private var isLoopback: Bool { modemControl & 0x10 != 0 }
    private var receiverCapacity: Int { areFIFOsEnabled ? Self.fifoDepth : 1 }

    private func readReceiverBuffer() -> UInt8 {
        if let byte = receiver.popFirst() { lastReceived = byte }
        isCharacterTimeoutPending = false
        restartCharacterTimeout()
        scheduleArrivalIfNeeded()
        return lastReceived
    }

    private func readInterruptIdentification() -> UInt8 {
        let identity = pendingInterrupt() ?? InterruptIdentity.none
        if identity == InterruptIdentity.transmitterEmpty { isTransmitterEmptyInterruptPending = false }
        return identity | (areFIFOsEnabled ? 0xC0 : 0)
    }

    private func readLineStatus() -> UInt8 {
        var status = LineStatus.transmitterHoldingEmpty | LineStatus.transmitterEmpty
        if !receiver.isEmpty { status |= LineStatus.dataReady }
        if hasOverrun { status |= LineStatus.overrun }
        hasOverrun = false
        return status
    }

    private func readModemStatus() -> UInt8 {
        let status = modemStatusLines | modemStatusDeltas
        modemStatusDeltas = 0
        return status
    }

    private func writeInterruptEnable(_ value: UInt8) {
        let enabledNow = value & ~interruptEnable
        interruptEnable = value & 0x0F
        // THR is always empty, so enabling its interrupt raises it at once (as a 16550 does).
        if enabledNow & InterruptEnable.transmitterEmpty != 0 {
            isTransmitterEmptyInterruptPending = true
        } else if value & InterruptEnable.transmitterEmpty == 0 {
            isTransmitterEmptyInterruptPending = false
        }
    }

    private func writeFIFOControl(_ value: UInt8) {
        let enable = value & 0x01 != 0
        if enable != areFIFOsEnabled {
            areFIFOsEnabled = enable
            clearReceiver()
        }
        guard enable else { return }  // the other bits only act with bit 0 set
        if value & 0x02 != 0 { clearReceiver() }
        triggerLevel = Self.triggerLevels[Int(value >> 6)]
    }

    private func writeModemControl(_ value: UInt8) {
        let wasLoopback = isLoopback
        modemControl = value & 0x1F
        updateModemStatusLines()
        if wasLoopback && !isLoopback { scheduleArrivalIfNeeded() }
    }

    private func clearReceiver() {
        receiver.removeAll()
        isCharacterTimeoutPending = false
        restartCharacterTimeout()
        scheduleArrivalIfNeeded()
    }

    private func updateModemStatusLines() {
        var lines: UInt8 = 0xB0  // CTS, DSR, DCD from an attached host
        if isLoopback {
            lines = 0
            if modemControl & 0x02 != 0 { lines |= 0x10 }  // RTS → CTS
            if modemControl & 0x01 != 0 { lines |= 0x20 }  // DTR → DSR
            if modemControl & 0x04 != 0 { lines |= 0x40 }  // OUT1 → RI
            if modemControl & 0x08 != 0 { lines |= 0x80 }  // OUT2 → DCD
        }
        let changed = lines ^ modemStatusLines
        if changed & 0x10 != 0 { modemStatusDeltas |= 0x01 }
        if changed & 0x20 != 0 { modemStatusDeltas |= 0x02 }
        if changed & 0x40 != 0, lines & 0x40 == 0 { modemStatusDeltas |= 0x04 }  // RI's trailing edge only
        if changed & 0x80 != 0 { modemStatusDeltas |= 0x08 }
        modemStatusLines = lines
    }

    // MARK: - Transmit and receive

    private func transmit(_ byte: UInt8) {
        isTransmitterEmptyInterruptPending = false
        updateIRQ()  // the THR-empty interrupt drops …
        if isLoopback {
            deliverToReceiver(byte)
        } else {
            output(byte)
        }
        // … and comes back now that the byte is gone.
        if interruptEnable & InterruptEnable.transmitterEmpty != 0 { isTransmitterEmptyInterruptPending = true }
    }

    private func deliverToReceiver(_ byte: UInt8) {
        guard receiver.count < receiverCapacity else {
            hasOverrun = true
            return
        }
        receiver.append(byte)
        restartCharacterTimeout()
    }

    /// One frame time at the current divisor, in ns.
    private var frameTime: UInt64 {
        let divisor = self.divisor == 0 ? 65_536 : UInt64(self.divisor)
        return TickRate(ticks: 11_520, nanoseconds: divisor * 1_000_000_000).nanoseconds(atTick: 1)
    }

    private func scheduleArrivalIfNeeded() {
        guard arrivalEvent == nil, !hostInput.isEmpty, !isLoopback, receiver.count < receiverCapacity else { return }
        arrivalEvent = clock.schedule(after: frameTime) { [unowned(unsafe) self] in
            self.arrivalEvent = nil
            self.completeArrival()
        }
    }

    private func completeArrival() {
        if !isLoopback, receiver.count < receiverCapacity, let byte = hostInput.popFirst() {
            deliverToReceiver(byte)
        }
        scheduleArrivalIfNeeded()
        updateIRQ()
    }

    /// Starts the 4-frame character timeout again while the FIFO holds data.
    private func restartCharacterTimeout() {
        if let timeoutEvent { clock.cancel(timeoutEvent) }
        timeoutEvent = nil
        guard areFIFOsEnabled, !receiver.isEmpty else { return }
        timeoutEvent = clock.schedule(after: frameTime.saturatingMultiply(4)) { [unowned(unsafe) self] in
            timeoutEvent = nil
            isCharacterTimeoutPending = areFIFOsEnabled && !receiver.isEmpty
            updateIRQ()
        }
    }

    // MARK: - Interrupts

    /// The IIR identity of the highest-priority pending interrupt, nil when none is.
    private func pendingInterrupt() -> UInt8? {
        if interruptEnable & InterruptEnable.lineStatus != 0, hasOverrun {
            return InterruptIdentity.lineStatus
        }
        if interruptEnable & InterruptEnable.receivedData != 0 {
            if receiver.count >= (areFIFOsEnabled ? triggerLevel : 1) { return InterruptIdentity.receivedData }
            if isCharacterTimeoutPending { return InterruptIdentity.characterTimeout }
        }
        if interruptEnable & InterruptEnable.transmitterEmpty != 0, isTransmitterEmptyInterruptPending {
            return InterruptIdentity.transmitterEmpty
        }
        if interruptEnable & InterruptEnable.modemStatus != 0, modemStatusDeltas != 0 {
            return InterruptIdentity.modemStatus
        }
        return nil
    }

    private func updateIRQ() {
        let isHigh = pendingInterrupt() != nil
        guard isHigh != isIRQHigh else { return }
        isIRQHigh = isHigh
        irq?(isHigh)
    }
}

// MARK: - Snapshots

extension SerialPort: Snapshotting {
    /// Every register and pending event of the device, as a value (see `Snapshotting`).
    public struct Snapshot {
        fileprivate let divisor: UInt16
        fileprivate let interruptEnable: UInt8
        fileprivate let lineControl: UInt8
        fileprivate let modemControl: UInt8
        fileprivate let scratch: UInt8
        fileprivate let areFIFOsEnabled: Bool
        fileprivate let triggerLevel: Int
        fileprivate let hasOverrun: Bool
        fileprivate let isTransmitterEmptyInterruptPending: Bool
        fileprivate let isCharacterTimeoutPending: Bool
        fileprivate let modemStatusDeltas: UInt8
        fileprivate let modemStatusLines: UInt8
        fileprivate let receiver: ByteQueue
        fileprivate let lastReceived: UInt8
        fileprivate let hostInput: ByteQueue
        fileprivate let arrivalEvent: TimerToken?
        fileprivate let timeoutEvent: TimerToken?
        fileprivate let isIRQHigh: Bool
    }

    public func snapshot() -> Snapshot {
        Snapshot(divisor: divisor, interruptEnable: interruptEnable, lineControl: lineControl, modemControl: modemControl, scratch: scratch, areFIFOsEnabled: areFIFOsEnabled, triggerLevel: triggerLevel, hasOverrun: hasOverrun, isTransmitterEmptyInterruptPending: isTransmitterEmptyInterruptPending, isCharacterTimeoutPending: isCharacterTimeoutPending, modemStatusDeltas: modemStatusDeltas, modemStatusLines: modemStatusLines, receiver: receiver, lastReceived: lastReceived, hostInput: hostInput, arrivalEvent: arrivalEvent, timeoutEvent: timeoutEvent, isIRQHigh: isIRQHigh)
    }

    public func restore(_ snapshot: Snapshot) {
        divisor = snapshot.divisor
        interruptEnable = snapshot.interruptEnable
        lineControl = snapshot.lineControl
        modemControl = snapshot.modemControl
        scratch = snapshot.scratch
        areFIFOsEnabled = snapshot.areFIFOsEnabled
        triggerLevel = snapshot.triggerLevel
        hasOverrun = snapshot.hasOverrun
        isTransmitterEmptyInterruptPending = snapshot.isTransmitterEmptyInterruptPending
        isCharacterTimeoutPending = snapshot.isCharacterTimeoutPending
        modemStatusDeltas = snapshot.modemStatusDeltas
        modemStatusLines = snapshot.modemStatusLines
        receiver = snapshot.receiver
        lastReceived = snapshot.lastReceived
        hostInput = snapshot.hostInput
        arrivalEvent = snapshot.arrivalEvent
        timeoutEvent = snapshot.timeoutEvent
        isIRQHigh = snapshot.isIRQHigh
    }
}
