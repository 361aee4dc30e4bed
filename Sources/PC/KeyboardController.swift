import I386

/// The 8042 keyboard controller (ports 0x60 data, 0x64 status and command) with a
/// minimal PS/2 keyboard behind it. There is no auxiliary (mouse) device.
///
/// - Status (0x64): bit 0 output buffer full, bit 1 input buffer full (always 0:
///   commands complete at once), bit 2 system flag, bit 3 whether the last write
///   was a command, bit 4 keyboard not inhibited (always 1).
/// - IRQ1 is high while the output buffer is full and the command byte's bit 0 is set.
///   Reading 0x60 empties the buffer; the next queued byte (controller replies
///   first, then keyboard bytes) moves in at once.
/// - Keys arrive only through `press(scancodes:)`, as the bytes port 0x60 should
///   show (the scan code set is the caller's business). They wait while the
///   keyboard is disabled (command byte bit 4, 0xAD/0xAE, or the keyboard's 0xF5/0xF4).
/// - Commands: 0x20/0x60 read/write the command byte, 0xA7/0xA8 disable/enable the
///   aux clock bit, 0xA9 and 0xAB interface tests (0x00), 0xAA self-test (0x55, sets
///   the system flag), 0xAD/0xAE disable/enable the keyboard, 0xC0 input port (0x80),
///   0xD0/0xD1 read/write the output port, 0xD2 write the keyboard output buffer,
///   0xD3/0xD4 (aux) swallow their data byte, 0xDD/0xDF A20 off/on, 0xE0 test inputs
///   (0x00), 0xF0–0xFF pulse output lines: an even command pulses reset. Writing
///   the output port with bit 0 clear also resets. Reset is `resetRequested`;
///   A20 is only recorded (`isA20Enabled`). Other commands are ignored.
/// - The keyboard acknowledges (0xFA) reset (then 0xAA), identify (then 0xAB and
///   0x41 translated or 0x83), LEDs, typematic and scan-code-set commands (with
///   their argument byte), enable, disable and defaults; echo answers 0xEE;
///   anything else gets 0xFE (resend).
/// - Power-on is what a BIOS leaves: command byte 0x45 (keyboard interrupt, system
///   flag, translation), system flag set, output port 0xCF (reset line high, A20 on).
public final class KeyboardController: ByteWidePortDevice {
    /// Ports 0x60 (data) and 0x64 (status and command).
    public let ports: [ClosedRange<UInt16>] = [0x60...0x60, 0x64...0x64]

    /// Called with IRQ1's new level whenever it changes.
    public var irq1: ((Bool) -> Void)?
    /// Called when software pulses the CPU reset line (command 0xFE, or output port bit 0 cleared).
    public var resetRequested: (() -> Void)?

    /// Output port bit 1: the A20 gate (recorded only; the platform decides what it means).
    public var isA20Enabled: Bool { outputPort & 0x02 != 0 }

    private enum Status {
        static let outputFull: UInt8 = 0x01, systemFlag: UInt8 = 0x04, lastWriteWasCommand: UInt8 = 0x08
        static let notInhibited: UInt8 = 0x10
    }

    private enum CommandByte {
        static let keyboardInterrupt: UInt8 = 0x01, systemFlag: UInt8 = 0x04, keyboardDisabled: UInt8 = 0x10
        static let auxDisabled: UInt8 = 0x20, translation: UInt8 = 0x40
    }

    /// What the next byte written to port 0x60 is for.
    fileprivate enum PendingData {
        case controllerCommandByte, outputPort, keyboardOutputBuffer, auxiliary, keyboardArgument
    }

    private var commandByte: UInt8 = 0x45
    private var outputPort: UInt8 = 0xCF
    private var systemFlag = true
    private var lastWriteWasCommand = false
    private var pendingData: PendingData?
    private var isScanning = true
    private var outputBuffer: UInt8?
    private var lastOutput: UInt8 = 0
    private var controllerReplies = ByteQueue()
    /// The keyboard's answers to commands: they come even while scanning is off.
    private var keyboardReplies = ByteQueue()
    /// Key bytes: they wait while scanning is off.
    private var scancodes = ByteQueue()
    private var isIRQ1High = false

    /// Creates the controller in the state a BIOS leaves it.
    public init() {}

    /// Queues scan codes from the keyboard; they reach port 0x60 one at a time.
    public func press(scancodes: [UInt8]) {
        self.scancodes.append(contentsOf: scancodes)
        refillOutputBuffer()
    }

    /// Reads the output buffer (0x60) or the status register (0x64).
    public func readByte(at port: UInt16) -> UInt8 {
        guard port == 0x60 else { return status }
        if let byte = outputBuffer {
            lastOutput = byte
            outputBuffer = nil
            updateIRQ1()  // IRQ1 drops before the next byte raises it: an edge per byte
            refillOutputBuffer()
        }
        return lastOutput
    }

    /// Writes data (0x60) or a controller command (0x64).
    public func writeByte(_ value: UInt8, at port: UInt16) {
        if port == 0x64 {
            lastWriteWasCommand = true
            pendingData = nil
            executeCommand(value)
        } else {
            lastWriteWasCommand = false
            writeData(value)
        }
        refillOutputBuffer()
    }

    private var status: UInt8 {
        var value = Status.notInhibited
        if outputBuffer != nil { value |= Status.outputFull }
        if systemFlag { value |= Status.systemFlag }
        if lastWriteWasCommand { value |= Status.lastWriteWasCommand }
        return value
    }

    // MARK: - Controller commands

    private func executeCommand(_ command: UInt8) {
        switch command {
        case 0x20: controllerReplies.append(commandByte)
        case 0x21...0x3F: controllerReplies.append(0x00)  // the rest of the controller's RAM
        case 0x60: pendingData = .controllerCommandByte
        case 0x61...0x7F: pendingData = .auxiliary  // a RAM byte nobody reads: swallow the data
        case 0xA7: commandByte |= CommandByte.auxDisabled
        case 0xA8: commandByte &= ~CommandByte.auxDisabled
        case 0xA9, 0xAB: controllerReplies.append(0x00)
        case 0xAA:
            systemFlag = true
            controllerReplies.append(0x55)
        case 0xAD: commandByte |= CommandByte.keyboardDisabled
        case 0xAE: commandByte &= ~CommandByte.keyboardDisabled
        case 0xC0: controllerReplies.append(0x80)
        case 0xD0: controllerReplies.append(outputPort)
        case 0xD1: pendingData = .outputPort
        case 0xD2: pendingData = .keyboardOutputBuffer
        case 0xD3, 0xD4: pendingData = .auxiliary
        case 0xDD: outputPort &= ~0x02
        case 0xDF: outputPort |= 0x02
        case 0xE0: controllerReplies.append(0x00)
        case 0xF0...0xFF:
            if command & 0x01 == 0 { resetRequested?() }
        default:
            break
        }
    }

    private func writeData(_ value: UInt8) {
        let pending = pendingData
        pendingData = nil
        switch pending {
        case .controllerCommandByte:
            commandByte = value
            systemFlag = value & CommandByte.systemFlag != 0
        case .outputPort:
            outputPort = value
            if value & 0x01 == 0 { resetRequested?() }
        case .keyboardOutputBuffer:
            keyboardReplies.append(value)
        case .auxiliary:
            break
        case .keyboardArgument:
            keyboardReplies.append(0xFA)
        case nil:
            executeKeyboardCommand(value)
        }
    }

    // MARK: - The keyboard

    private func executeKeyboardCommand(_ command: UInt8) {
        switch command {
        case 0xFF:
            isScanning = true
            scancodes.removeAll()
            keyboardReplies.append(contentsOf: [0xFA, 0xAA])
        case 0xF2:
            let translated = commandByte & CommandByte.translation != 0
            keyboardReplies.append(contentsOf: [0xFA, 0xAB, translated ? 0x41 : 0x83])
        case 0xEE:
            keyboardReplies.append(0xEE)
        case 0xED, 0xF0, 0xF3:
            pendingData = .keyboardArgument
            keyboardReplies.append(0xFA)
        case 0xF4:
            isScanning = true
            keyboardReplies.append(0xFA)
        case 0xF5:
            isScanning = false
            keyboardReplies.append(0xFA)
        case 0xF6:
            keyboardReplies.append(0xFA)
        default:
            keyboardReplies.append(0xFE)
        }
    }

    // MARK: - Output buffer and IRQ1

    private func refillOutputBuffer() {
        if outputBuffer == nil {
            let isKeyboardConnected = commandByte & CommandByte.keyboardDisabled == 0
            if let reply = controllerReplies.popFirst() {
                outputBuffer = reply
            } else if isKeyboardConnected, let reply = keyboardReplies.popFirst() {
                outputBuffer = reply
            } else if isKeyboardConnected, isScanning, let byte = scancodes.popFirst() {
                outputBuffer = byte
            }
        }
        updateIRQ1()
    }

    private func updateIRQ1() {
        let isHigh = outputBuffer != nil && commandByte & CommandByte.keyboardInterrupt != 0
        guard isHigh != isIRQ1High else { return }
        isIRQ1High = isHigh
        irq1?(isHigh)
    }
}

// MARK: - Snapshots

extension KeyboardController: Snapshotting {
    /// Every register and pending event of the device, as a value (see `Snapshotting`).
    public struct Snapshot {
        fileprivate let commandByte: UInt8
        fileprivate let outputPort: UInt8
        fileprivate let systemFlag: Bool
        fileprivate let lastWriteWasCommand: Bool
        fileprivate let pendingData: PendingData?
        fileprivate let isScanning: Bool
        fileprivate let outputBuffer: UInt8?
        fileprivate let lastOutput: UInt8
        fileprivate let controllerReplies: ByteQueue
        fileprivate let keyboardReplies: ByteQueue
        fileprivate let scancodes: ByteQueue
        fileprivate let isIRQ1High: Bool
    }

    public func snapshot() -> Snapshot {
        Snapshot(commandByte: commandByte, outputPort: outputPort, systemFlag: systemFlag, lastWriteWasCommand: lastWriteWasCommand, pendingData: pendingData, isScanning: isScanning, outputBuffer: outputBuffer, lastOutput: lastOutput, controllerReplies: controllerReplies, keyboardReplies: keyboardReplies, scancodes: scancodes, isIRQ1High: isIRQ1High)
    }

    public func restore(_ snapshot: Snapshot) {
        commandByte = snapshot.commandByte
        outputPort = snapshot.outputPort
        systemFlag = snapshot.systemFlag
        lastWriteWasCommand = snapshot.lastWriteWasCommand
        pendingData = snapshot.pendingData
        isScanning = snapshot.isScanning
        outputBuffer = snapshot.outputBuffer
        lastOutput = snapshot.lastOutput
        controllerReplies = snapshot.controllerReplies
        keyboardReplies = snapshot.keyboardReplies
        scancodes = snapshot.scancodes
        isIRQ1High = snapshot.isIRQ1High
    }
}
