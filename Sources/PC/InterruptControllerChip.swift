/// One Intel 8259A: its registers, its initialization sequence and its priority rules.
///
/// `ProgrammableInterruptController` wires two of them as a PC does. The chip
/// follows the datasheet where it is clear and QEMU/Bochs where it is not:
/// - An input line's IRR bit is set by a rising edge (or by a high level on a
///   level-triggered line) and cleared when the line goes low again, because the
///   datasheet requires a request to stay high until it is acknowledged.
/// - INT is a latch: once a request wins the priority resolution, INT stays
///   asserted until INTA (or ICW1), even if the request goes away or is masked.
///   INTA then finds no request and answers with IR7 without setting its ISR bit:
///   the 8259A's "default IR7", the spurious interrupt.
struct InterruptControllerChip {
    /// The line a master's slave is wired to on a PC.
    static let cascadeLine = 2

    private enum InitializationStep {
        case vectorBase, cascade, mode
    }

    /// Whether this chip is the master (special fully nested mode applies to the cascade line).
    let isMaster: Bool
    /// ELCR bits this chip lets software set: on a PC, the timer, keyboard, cascade,
    /// RTC and FPU lines are edge-only.
    let levelTriggerableLines: UInt8

    /// The IR input pins as the devices drive them.
    private(set) var inputLevels: UInt8 = 0
    /// Interrupt request register.
    private(set) var requests: UInt8 = 0
    /// In-service register.
    private(set) var inService: UInt8 = 0
    /// Interrupt mask register (OCW1).
    private(set) var mask: UInt8 = 0
    /// Edge/level control register (ELCR): a set bit makes that line level-triggered.
    private(set) var levelTriggeredLines: UInt8 = 0
    /// ICW2's T7–T3: the vector of IR0.
    private(set) var vectorBase: UInt8 = 0
    /// The INT output latch.
    private(set) var isInterruptAsserted = false

    private var triggersAllOnLevel = false
    private var lowestPriorityLine: UInt8 = 7
    private var readsInService = false
    private var isPollPending = false
    private var isSpecialMaskMode = false
    private var usesAutomaticEOI = false
    private var rotatesOnAutomaticEOI = false
    private var isSpecialFullyNested = false
    private var isSingle = false
    private var expectsModeWord = false
    private var initialization: InitializationStep?
    /// ICW3, kept for completeness: the wiring is fixed (slave on IR2, slave ID 2).
    private var cascadeWord: UInt8 = 0

    init(isMaster: Bool) {
        self.isMaster = isMaster
        levelTriggerableLines = isMaster ? 0xF8 : 0xDE
    }

    // MARK: - Inputs and the priority resolver

    /// Drives input line `line` (0–7) to `level`.
    mutating func setInput(_ line: Int, level: Bool) {
        let bit = UInt8(1) << UInt8(line & 7)
        let wasHigh = inputLevels & bit != 0
        if level {
            inputLevels |= bit
            if !wasHigh || isLevelTriggered(bit) { requests |= bit }
        } else {
            inputLevels &= ~bit
            requests &= ~bit
        }
        updateOutput()
    }

    /// Sets the ELCR; lines that become level-triggered and are high request at once.
    mutating func setLevelTriggeredLines(_ value: UInt8) {
        levelTriggeredLines = value & levelTriggerableLines
        requests |= inputLevels & levelSensitiveMask
        updateOutput()
    }

    /// The line that INTA would serve now, by the datasheet's priority rules; nil when none may interrupt.
    func highestPriorityRequest() -> Int? {
        let pending = requests & ~mask
        guard pending != 0 else { return nil }
        // In special mask mode an in-service level that software masked no longer blocks lower levels.
        let blocking = isSpecialMaskMode ? inService & ~mask : inService
        for step in UInt8(1)...8 {
            let line = (lowestPriorityLine &+ step) & 7
            let bit = UInt8(1) << line
            if blocking & bit != 0 {
                // Special fully nested mode: the slave may interrupt again while IR2 is in service.
                if isSpecialFullyNested, isMaster, Int(line) == Self.cascadeLine, pending & bit != 0 {
                    return Int(line)
                }
                return nil
            }
            if pending & bit != 0 { return Int(line) }
        }
        return nil
    }

    /// Latches INT when a request may interrupt; INT never drops here (see the type's note).
    mutating func updateOutput() {
        if !isInterruptAsserted, highestPriorityRequest() != nil {
            isInterruptAsserted = true
        }
    }

    /// The INTA cycle: clears INT and puts the winning line in service; nil is the spurious case.
    mutating func acknowledge() -> Int? {
        isInterruptAsserted = false
        guard let line = highestPriorityRequest() else { return nil }
        let bit = UInt8(1) << UInt8(line)
        if !isLevelTriggered(bit) { requests &= ~bit }
        if usesAutomaticEOI {
            if rotatesOnAutomaticEOI { lowestPriorityLine = UInt8(line) }
        } else {
            inService |= bit
        }
        return line
    }

    // MARK: - Ports

    /// A write to the command port (A0 = 0): ICW1, OCW2 or OCW3.
    ///
    /// OCW2 and OCW3 act even in the middle of an initialization sequence (as in
    /// QEMU and Bochs); only ICW1 restarts it.
    mutating func writeCommand(_ value: UInt8) {
        if value & 0x10 != 0 {
            startInitialization(value)
        } else if value & 0x08 != 0 {
            writeOperationCommand3(value)
        } else {
            writeOperationCommand2(value)
        }
        updateOutput()
    }

    /// A write to the data port (A0 = 1): the next ICW during initialization, else OCW1 (the mask).
    mutating func writeData(_ value: UInt8) {
        switch initialization {
        case .vectorBase:
            vectorBase = value & 0xF8
            initialization = isSingle ? (expectsModeWord ? .mode : nil) : .cascade
        case .cascade:
            cascadeWord = value
            initialization = expectsModeWord ? .mode : nil
        case .mode:
            // µPM (bit 0) is not modelled: vectors are always the 8086 kind.
            usesAutomaticEOI = value & 0x02 != 0
            isSpecialFullyNested = value & 0x10 != 0
            initialization = nil
        case nil:
            mask = value
        }
        updateOutput()
    }

    /// A read of the command port: the poll word after a poll command, else IRR or ISR as OCW3 chose.
    mutating func readCommand() -> UInt8 {
        if isPollPending {
            isPollPending = false
            guard let line = acknowledge() else { return 0x00 }
            return 0x80 | UInt8(line)
        }
        return readsInService ? inService : requests
    }

    /// A read of the data port: the mask.
    func readData() -> UInt8 { mask }

    // MARK: - Commands

    private mutating func startInitialization(_ value: UInt8) {
        // The datasheet's ICW1 effects, plus QEMU's clearing of ISR.
        mask = 0
        inService = 0
        lowestPriorityLine = 7
        readsInService = false
        isPollPending = false
        isSpecialMaskMode = false
        usesAutomaticEOI = false
        rotatesOnAutomaticEOI = false
        isSpecialFullyNested = false
        isInterruptAsserted = false
        triggersAllOnLevel = value & 0x08 != 0
        isSingle = value & 0x02 != 0
        expectsModeWord = value & 0x01 != 0
        // The edge sense latches reset: an edge-triggered line needs a new rising edge.
        requests = inputLevels & levelSensitiveMask
        initialization = .vectorBase
    }

    private mutating func writeOperationCommand2(_ value: UInt8) {
        let level = value & 0x07
        switch value >> 5 {
        case 0b001:  // non-specific EOI
            _ = endHighestInService()
        case 0b011:  // specific EOI
            inService &= ~(UInt8(1) << level)
        case 0b101:  // rotate on non-specific EOI
            if let line = endHighestInService() { lowestPriorityLine = line }
        case 0b100:  // rotate in automatic EOI mode (set)
            rotatesOnAutomaticEOI = true
        case 0b000:  // rotate in automatic EOI mode (clear)
            rotatesOnAutomaticEOI = false
        case 0b111:  // rotate on specific EOI
            inService &= ~(UInt8(1) << level)
            lowestPriorityLine = level
        case 0b110:  // set priority
            lowestPriorityLine = level
        default:  // 0b010: no operation
            break
        }
    }

    private mutating func writeOperationCommand3(_ value: UInt8) {
        if value & 0x04 != 0 { isPollPending = true }
        if value & 0x02 != 0 { readsInService = value & 0x01 != 0 }
        if value & 0x40 != 0 { isSpecialMaskMode = value & 0x20 != 0 }
    }

    /// Clears the highest-priority ISR bit; returns its line, nil when none was set.
    private mutating func endHighestInService() -> UInt8? {
        for step in UInt8(1)...8 {
            let line = (lowestPriorityLine &+ step) & 7
            if inService & (1 << line) != 0 {
                inService &= ~(1 << line)
                return line
            }
        }
        return nil
    }

    private var levelSensitiveMask: UInt8 { triggersAllOnLevel ? 0xFF : levelTriggeredLines }

    private func isLevelTriggered(_ bit: UInt8) -> Bool { levelSensitiveMask & bit != 0 }
}
