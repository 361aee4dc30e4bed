import I386

/// The CPU's local APIC (xAPIC, version 0x14, 6 LVT entries), memory-mapped at 0xFEE00000.
///
/// Registers sit at 16-byte-aligned offsets, 32 bits each. Reads of any size at
/// any offset return the bytes of the register's 32 bits at that offset (bytes 4–15
/// of a slot read 0); only aligned 4-byte writes take effect, others are ignored.
/// Reading or writing an offset with no register reads 0 and records "illegal
/// register address" in the ESR.
///
/// - The timer counts down at the bus clock ÷ the divide configuration (all eight
///   encodings), and the bus clock is the `VirtualClock`: 1 count per ns at ÷1,
///   so xv6's initial count of 10,000,000 at ÷1 interrupts every 10 ms of virtual
///   time. One-shot and periodic modes; TSC-deadline is not implemented (bit 18
///   is not writable). Changing the divider or mode mid-count keeps the current
///   count and continues at the new rate from the write.
/// - Interrupts are accepted into IRR (TMR records level-triggered ones) and INTR is
///   asserted while the highest IRR vector's class is above the PPR's class; INTA
///   (`acknowledgeInterrupt()`) moves it to ISR. An EOI clears the highest ISR bit
///   and, for a level-triggered vector, reports it through `levelTriggeredEOI` (to
///   the I/O APIC). Vectors 0–15 are refused with ESR's illegal-vector bits.
/// - While SVR's enable bit (8) is clear, LVTs read masked, writes cannot unmask them,
///   fixed interrupts are not accepted and nothing local (timer, error, LINT) is
///   delivered; clearing the bit masks every LVT (SDM 10.4.7.2). The exception is the
///   reset state, which is the virtual-wire mode a BIOS leaves: LINT0 is ExtINT and
///   unmasked, so the 8259's INTR (`setLINT0(_:)`) passes through and INTA goes to
///   `externalInterruptController`, as QEMU does.
/// - ICR: fixed and lowest-priority IPIs to self (shorthand self or all-including-self,
///   or a destination that addresses this APIC) are accepted as edge-triggered; NMI
///   to self calls `nonMaskableInterrupt`; INIT (xv6's level de-assert broadcast
///   included), start-up and SMI are accepted and ignored. Delivery status always
///   reads idle.
/// - ESR: errors accumulate internally; a write to ESR copies them to the readable
///   register and clears the accumulator; a new error interrupts through LVT error.
public final class LocalAPIC: MemoryMappedDevice, InterruptAcknowledging {
    /// Where a PC maps the local APIC.
    public static let defaultBaseAddress: UInt32 = 0xFEE0_0000
    /// The size of the register window (one 4 KB page).
    public static let size: UInt32 = 0x1000

    /// Called with INTR's new level whenever it changes.
    public var outputChanged: ((Bool) -> Void)?
    /// Called when an NMI is delivered (LINT1 in NMI mode, an NMI IPI to self).
    public var nonMaskableInterrupt: (() -> Void)?
    /// Called with the vector when software EOIs a level-triggered interrupt (the EOI broadcast).
    public var levelTriggeredEOI: ((UInt8) -> Void)?
    /// Called on every write to the EOI register with the vector it took out of
    /// service (nil when none was in service), for observers such as a tracer.
    public var endOfInterruptWritten: ((UInt8?) -> Void)?
    /// The 8259 behind LINT0 in ExtINT mode: INTA for an ExtINT interrupt goes to it.
    public weak var externalInterruptController: (any InterruptAcknowledging)?

    private enum Offset {
        static let id: UInt32 = 0x020, version: UInt32 = 0x030, taskPriority: UInt32 = 0x080
        static let arbitrationPriority: UInt32 = 0x090, processorPriority: UInt32 = 0x0A0
        static let endOfInterrupt: UInt32 = 0x0B0, remoteRead: UInt32 = 0x0C0
        static let logicalDestination: UInt32 = 0x0D0, destinationFormat: UInt32 = 0x0E0
        static let spuriousVector: UInt32 = 0x0F0, inService: UInt32 = 0x100, triggerMode: UInt32 = 0x180
        static let interruptRequest: UInt32 = 0x200, errorStatus: UInt32 = 0x280
        static let commandLow: UInt32 = 0x300, commandHigh: UInt32 = 0x310
        static let localVectorTable: UInt32 = 0x320, timerInitialCount: UInt32 = 0x380
        static let timerCurrentCount: UInt32 = 0x390, timerDivideConfiguration: UInt32 = 0x3E0
    }

    /// LVT entries in register order (timer at 0x320 … error at 0x370).
    private enum LocalVector: Int, CaseIterable {
        case timer, thermal, performance, lint0, lint1, error

        var writableBits: UInt32 {
            switch self {
            case .timer: 0x0003_00FF  // vector, mask, periodic
            case .thermal, .performance: 0x0001_07FF  // vector, delivery mode, mask
            case .lint0, .lint1: 0x0001_A7FF  // vector, delivery mode, polarity, trigger mode, mask
            case .error: 0x0001_00FF
            }
        }
    }

    private enum DeliveryMode {
        static let fixed: UInt32 = 0, lowestPriority: UInt32 = 1, nmi: UInt32 = 4, externalInterrupt: UInt32 = 7
    }

    private enum ErrorStatus {
        static let sendIllegalVector: UInt32 = 0x20, receiveIllegalVector: UInt32 = 0x40
        static let illegalRegisterAddress: UInt32 = 0x80
    }

    private static let masked: UInt32 = 0x0001_0000
    private static let versionValue: UInt32 = 0x0005_0014
    private static let softwareEnable: UInt32 = 0x100

    private let clock: VirtualClock
    private var idRegister: UInt32
    private var taskPriority: UInt32 = 0
    private var logicalDestination: UInt32 = 0
    private var destinationFormat: UInt32 = 0xFFFF_FFFF
    private var spuriousVector: UInt32 = 0xFF
    private var errorStatus: UInt32 = 0
    private var pendingErrors: UInt32 = 0
    private var commandLow: UInt32 = 0
    private var commandHigh: UInt32 = 0
    private var localVectors: [UInt32]
    private var requests = VectorSet()
    private var inService = VectorSet()
    private var levelTriggered = VectorSet()
    private var lintLevels = [false, false]
    private var isDeliveringError = false
    private var reportedOutput = false

    private var timerInitialCount: UInt32 = 0
    private var timerDivideConfiguration: UInt32 = 0
    /// The timer's count was `timerBaseCount` at `timerBaseTime`; it counts from there.
    private var timerBaseTime: UInt64 = 0
    private var timerBaseCount: UInt64 = 0
    private var timerEvent: TimerToken?

    /// Creates the local APIC of the CPU with APIC ID `id`, in its reset state, on `clock`.
    public init(clock: VirtualClock, id: UInt8 = 0) {
        self.clock = clock
        idRegister = UInt32(id) << 24
        localVectors = LocalVector.allCases.map { _ in Self.masked }
        localVectors[LocalVector.lint0.rawValue] = DeliveryMode.externalInterrupt << 8  // virtual wire
    }

    /// Its scheduled events hold it unowned: they go when it does.
    deinit {
        if let token = timerEvent { clock.cancel(token) }
    }

    /// The APIC ID (ID register bits 24–31).
    public var id: UInt8 { UInt8(truncatingIfNeeded: idRegister >> 24) }

    /// The local vector table as software reads it (timer, thermal, performance
    /// counters, LINT0, LINT1, error), for observers that name an interrupt's source.
    public var localVectorTable: [UInt32] {
        localVectors.map { isSoftwareEnabled ? $0 : $0 | Self.masked }
    }

    /// The spurious-interrupt vector (SVR bits 0–7).
    public var spuriousInterruptVector: UInt8 { UInt8(truncatingIfNeeded: spuriousVector) }

    /// Whether INTR to the CPU is asserted.
    public var isOutputAsserted: Bool {
        (isSoftwareEnabled && deliverableVector != nil) || isExternalInterruptPending
    }

    // MARK: - Interrupt inputs

    /// Accepts an interrupt message (from the I/O APIC): `vector` enters IRR, and TMR
    /// records whether it is level-triggered. Ignored while the APIC is software-disabled.
    public func accept(vector: UInt8, isLevelTriggered: Bool = false) {
        guard isSoftwareEnabled else { return }
        guard vector >= 16 else {
            recordError(ErrorStatus.receiveIllegalVector)
            return
        }
        requests.insert(vector)
        if isLevelTriggered { levelTriggered.insert(vector) } else { levelTriggered.remove(vector) }
        updateOutput()
    }

    /// Drives the LINT0 pin (on a PC, the 8259's INTR).
    public func setLINT0(_ level: Bool) {
        setLocalInterruptPin(.lint0, level: level)
    }

    /// Drives the LINT1 pin (on a PC, NMI).
    public func setLINT1(_ level: Bool) {
        setLocalInterruptPin(.lint1, level: level)
    }

    /// Whether a message to `destination` in physical or logical mode reaches this APIC
    /// (0xFF is everyone; logical mode follows DFR's flat or cluster model and LDR).
    public func isAddressed(byDestination destination: UInt8, isLogical: Bool) -> Bool {
        if destination == 0xFF { return true }
        guard isLogical else { return destination == id }
        let logicalID = UInt8(truncatingIfNeeded: logicalDestination >> 24)
        if destinationFormat >> 28 == 0xF {
            return logicalID & destination != 0
        }
        return destination >> 4 == logicalID >> 4 && destination & logicalID & 0x0F != 0
    }

    /// The INTA cycle: the highest deliverable IRR vector moves to ISR; else an ExtINT
    /// request is acknowledged at the 8259; else the spurious vector (SVR bits 0–7).
    public func acknowledgeInterrupt() -> UInt8? {
        defer { updateOutput() }
        if isSoftwareEnabled, let vector = deliverableVector {
            requests.remove(vector)
            inService.insert(vector)
            return vector
        }
        if isExternalInterruptPending, let controller = externalInterruptController {
            return controller.acknowledgeInterrupt()
        }
        return UInt8(truncatingIfNeeded: spuriousVector)
    }

    // MARK: - MMIO

    /// Reads `size` bytes at `offset` (see the type's note on odd sizes and offsets).
    public func readMemory(at offset: UInt32, size: Int) -> UInt32 {
        let byteInSlot = offset & 0xF
        guard let value = readRegister(offset & 0xFF0) else {
            recordError(ErrorStatus.illegalRegisterAddress)
            return 0
        }
        guard byteInSlot < 4 else { return 0 }
        let bytes = min(max(size, 1), 4)
        let shifted = value >> (8 * byteInSlot)
        return bytes == 4 ? shifted : shifted & ((1 << (8 * UInt32(bytes))) - 1)
    }

    /// Writes a register; only aligned 4-byte writes take effect.
    public func writeMemory(at offset: UInt32, size: Int, value: UInt32) {
        guard offset & 0xF == 0, size == 4 else { return }
        writeRegister(offset & 0xFF0, value)
        updateOutput()
    }

    private func readRegister(_ offset: UInt32) -> UInt32? {
        guard offset < 0x1000 else { return nil }
        switch offset {
        case Offset.id: return idRegister
        case Offset.version: return Self.versionValue
        case Offset.taskPriority: return taskPriority
        case Offset.arbitrationPriority, Offset.endOfInterrupt, Offset.remoteRead: return 0
        case Offset.processorPriority: return processorPriority
        case Offset.logicalDestination: return logicalDestination
        case Offset.destinationFormat: return destinationFormat
        case Offset.spuriousVector: return spuriousVector
        case Offset.inService..<(Offset.inService + 0x80): return inService.register(Int((offset - Offset.inService) >> 4))
        case Offset.triggerMode..<(Offset.triggerMode + 0x80): return levelTriggered.register(Int((offset - Offset.triggerMode) >> 4))
        case Offset.interruptRequest..<(Offset.interruptRequest + 0x80): return requests.register(Int((offset - Offset.interruptRequest) >> 4))
        case Offset.errorStatus: return errorStatus
        case Offset.commandLow: return commandLow
        case Offset.commandHigh: return commandHigh
        case Offset.localVectorTable..<(Offset.localVectorTable + 0x60):
            let entry = localVectors[Int((offset - Offset.localVectorTable) >> 4)]
            return isSoftwareEnabled ? entry : entry | Self.masked
        case Offset.timerInitialCount: return timerInitialCount
        case Offset.timerCurrentCount: return UInt32(truncatingIfNeeded: timerCount(at: clock.now))
        case Offset.timerDivideConfiguration: return timerDivideConfiguration
        default: return nil
        }
    }

    private func writeRegister(_ offset: UInt32, _ value: UInt32) {
        switch offset {
        case Offset.id: idRegister = value & 0xFF00_0000
        case Offset.taskPriority: taskPriority = value & 0xFF
        case Offset.endOfInterrupt: endOfInterrupt()
        case Offset.logicalDestination: logicalDestination = value & 0xFF00_0000
        case Offset.destinationFormat: destinationFormat = value | 0x0FFF_FFFF
        case Offset.spuriousVector: writeSpuriousVector(value)
        case Offset.errorStatus:
            errorStatus = pendingErrors
            pendingErrors = 0
        case Offset.commandLow:
            commandLow = value & 0x000C_CFFF
            sendInterprocessorInterrupt()
        case Offset.commandHigh: commandHigh = value & 0xFF00_0000
        case Offset.localVectorTable..<(Offset.localVectorTable + 0x60):
            writeLocalVector(LocalVector(rawValue: Int((offset - Offset.localVectorTable) >> 4)) ?? .error, value)
        case Offset.timerInitialCount:
            timerInitialCount = value
            timerBaseTime = clock.now
            timerBaseCount = UInt64(value)
            rescheduleTimer()
        case Offset.timerDivideConfiguration:
            rebaseTimer()
            timerDivideConfiguration = value & 0xB
            rescheduleTimer()
        case Offset.version, Offset.arbitrationPriority, Offset.processorPriority, Offset.remoteRead,
             Offset.inService..<(Offset.inService + 0x80), Offset.triggerMode..<(Offset.triggerMode + 0x80),
             Offset.interruptRequest..<(Offset.interruptRequest + 0x80), Offset.timerCurrentCount:
            break  // read-only
        default:
            recordError(ErrorStatus.illegalRegisterAddress)
        }
    }

    private func writeSpuriousVector(_ value: UInt32) {
        spuriousVector = value & 0x3FF
        if !isSoftwareEnabled {
            for index in localVectors.indices { localVectors[index] |= Self.masked }
        }
        rescheduleTimer()
    }

    private func writeLocalVector(_ entry: LocalVector, _ value: UInt32) {
        if entry == .timer { rebaseTimer() }
        var value = value & entry.writableBits
        if !isSoftwareEnabled { value |= Self.masked }
        localVectors[entry.rawValue] = value
        if entry == .timer { rescheduleTimer() }
    }

    // MARK: - Priorities, EOI, IPIs

    private var isSoftwareEnabled: Bool { spuriousVector & Self.softwareEnable != 0 }

    /// PPR: the TPR, or the class of the highest vector in service if that is higher.
    private var processorPriority: UInt32 {
        let inServiceClass = UInt32(inService.highest ?? 0) & 0xF0
        return taskPriority & 0xF0 >= inServiceClass ? taskPriority : inServiceClass
    }

    /// The highest IRR vector when its priority class is above the PPR's.
    private var deliverableVector: UInt8? {
        guard let vector = requests.highest, UInt32(vector) & 0xF0 > processorPriority & 0xF0 else { return nil }
        return vector
    }

    private var isExternalInterruptPending: Bool {
        let entry = localVectors[LocalVector.lint0.rawValue]
        return lintLevels[0] && entry & Self.masked == 0 && (entry >> 8) & 7 == DeliveryMode.externalInterrupt
    }

    private func endOfInterrupt() {
        guard let vector = inService.highest else {
            endOfInterruptWritten?(nil)
            return
        }
        inService.remove(vector)
        endOfInterruptWritten?(vector)
        if levelTriggered.contains(vector) { levelTriggeredEOI?(vector) }
    }

    private func sendInterprocessorInterrupt() {
        let vector = UInt8(truncatingIfNeeded: commandLow)
        let reachesSelf: Bool
        switch (commandLow >> 18) & 3 {
        case 0: reachesSelf = isAddressed(byDestination: UInt8(truncatingIfNeeded: commandHigh >> 24), isLogical: commandLow & 0x800 != 0)
        case 3: reachesSelf = false  // all excluding self: there is no other CPU
        default: reachesSelf = true  // self, all including self
        }
        switch (commandLow >> 8) & 7 {
        case DeliveryMode.fixed, DeliveryMode.lowestPriority:
            guard vector >= 16 else {
                recordError(ErrorStatus.sendIllegalVector)
                return
            }
            if reachesSelf { accept(vector: vector) }
        case DeliveryMode.nmi:
            if reachesSelf { nonMaskableInterrupt?() }
        default:
            break  // INIT, start-up, SMI: single CPU, no reset through IPIs
        }
    }

    private func setLocalInterruptPin(_ pin: LocalVector, level: Bool) {
        let index = pin == .lint0 ? 0 : 1
        let rising = level && !lintLevels[index]
        lintLevels[index] = level
        let entry = localVectors[pin.rawValue]
        if rising, entry & Self.masked == 0 {
            switch (entry >> 8) & 7 {
            case DeliveryMode.fixed: accept(vector: UInt8(truncatingIfNeeded: entry), isLevelTriggered: entry & 0x8000 != 0)
            case DeliveryMode.nmi: nonMaskableInterrupt?()
            default: break
            }
        }
        updateOutput()
    }

    private func recordError(_ error: UInt32) {
        let isNew = pendingErrors & error == 0
        pendingErrors |= error
        let entry = localVectors[LocalVector.error.rawValue]
        // An illegal error vector records another error: deliver at most once per nesting.
        guard isNew, !isDeliveringError, isSoftwareEnabled, entry & Self.masked == 0 else { return }
        isDeliveringError = true
        accept(vector: UInt8(truncatingIfNeeded: entry))
        isDeliveringError = false
    }

    private func updateOutput() {
        let output = isOutputAsserted
        guard output != reportedOutput else { return }
        reportedOutput = output
        outputChanged?(output)
    }

    // MARK: - Timer

    /// The divider from the divide configuration register (bits 0, 1 and 3).
    private var timerDivider: UInt64 {
        let code = (timerDivideConfiguration & 3) | (timerDivideConfiguration >> 1 & 4)
        return code == 7 ? 1 : 2 << UInt64(code)
    }

    private var isTimerPeriodic: Bool { localVectors[LocalVector.timer.rawValue] & 0x2_0000 != 0 }

    /// The current count at `time`.
    private func timerCount(at time: UInt64) -> UInt64 {
        guard timerInitialCount != 0 else { return 0 }
        let elapsed = (time &- timerBaseTime) / timerDivider
        if elapsed < timerBaseCount { return timerBaseCount - elapsed }
        guard isTimerPeriodic else { return 0 }
        return UInt64(timerInitialCount) - (elapsed - timerBaseCount) % UInt64(timerInitialCount)
    }

    /// Restarts the count arithmetic from now (before the divider or the mode changes).
    private func rebaseTimer() {
        timerBaseCount = timerCount(at: clock.now)
        timerBaseTime = clock.now
    }

    /// The first time after now at which the count reaches 0.
    private func nextTimerExpiry() -> UInt64? {
        guard timerInitialCount != 0 else { return nil }
        let now = clock.now
        let first = timerBaseTime.saturatingAdd(timerBaseCount.saturatingMultiply(timerDivider))
        if timerBaseCount > 0, first > now { return first }
        guard isTimerPeriodic else { return nil }
        let period = UInt64(timerInitialCount).saturatingMultiply(timerDivider)
        let periods = (now &- first) / period + 1
        return first.saturatingAdd(periods.saturatingMultiply(period))
    }

    /// Schedules the next expiry while the timer can interrupt (enabled APIC, unmasked LVT).
    private func rescheduleTimer() {
        if let timerEvent { clock.cancel(timerEvent) }
        timerEvent = nil
        guard isSoftwareEnabled, localVectors[LocalVector.timer.rawValue] & Self.masked == 0,
              let expiry = nextTimerExpiry() else { return }
        timerEvent = clock.schedule(at: expiry) { [unowned(unsafe) self] in
            timerEvent = nil
            accept(vector: UInt8(truncatingIfNeeded: localVectors[LocalVector.timer.rawValue]))
            rescheduleTimer()
        }
    }
}

// MARK: - Snapshots

extension LocalAPIC: Snapshotting {
    /// Every register and pending event of the device, as a value (see `Snapshotting`).
    public struct Snapshot {
        fileprivate let idRegister: UInt32
        fileprivate let taskPriority: UInt32
        fileprivate let logicalDestination: UInt32
        fileprivate let destinationFormat: UInt32
        fileprivate let spuriousVector: UInt32
        fileprivate let errorStatus: UInt32
        fileprivate let pendingErrors: UInt32
        fileprivate let commandLow: UInt32
        fileprivate let commandHigh: UInt32
        fileprivate let localVectors: [UInt32]
        fileprivate let requests: VectorSet
        fileprivate let inService: VectorSet
        fileprivate let levelTriggered: VectorSet
        fileprivate let lintLevels: [Bool]
        fileprivate let isDeliveringError: Bool
        fileprivate let reportedOutput: Bool
        fileprivate let timerInitialCount: UInt32
        fileprivate let timerDivideConfiguration: UInt32
        fileprivate let timerBaseTime: UInt64
        fileprivate let timerBaseCount: UInt64
        fileprivate let timerEvent: TimerToken?
    }

    public func snapshot() -> Snapshot {
        Snapshot(idRegister: idRegister, taskPriority: taskPriority, logicalDestination: logicalDestination, destinationFormat: destinationFormat, spuriousVector: spuriousVector, errorStatus: errorStatus, pendingErrors: pendingErrors, commandLow: commandLow, commandHigh: commandHigh, localVectors: localVectors, requests: requests, inService: inService, levelTriggered: levelTriggered, lintLevels: lintLevels, isDeliveringError: isDeliveringError, reportedOutput: reportedOutput, timerInitialCount: timerInitialCount, timerDivideConfiguration: timerDivideConfiguration, timerBaseTime: timerBaseTime, timerBaseCount: timerBaseCount, timerEvent: timerEvent)
    }

    public func restore(_ snapshot: Snapshot) {
        idRegister = snapshot.idRegister
        taskPriority = snapshot.taskPriority
        logicalDestination = snapshot.logicalDestination
        destinationFormat = snapshot.destinationFormat
        spuriousVector = snapshot.spuriousVector
        errorStatus = snapshot.errorStatus
        pendingErrors = snapshot.pendingErrors
        commandLow = snapshot.commandLow
        commandHigh = snapshot.commandHigh
        localVectors = snapshot.localVectors
        requests = snapshot.requests
        inService = snapshot.inService
        levelTriggered = snapshot.levelTriggered
        lintLevels = snapshot.lintLevels
        isDeliveringError = snapshot.isDeliveringError
        reportedOutput = snapshot.reportedOutput
        timerInitialCount = snapshot.timerInitialCount
        timerDivideConfiguration = snapshot.timerDivideConfiguration
        timerBaseTime = snapshot.timerBaseTime
        timerBaseCount = snapshot.timerBaseCount
        timerEvent = snapshot.timerEvent
    }
}
