import ArgumentParser
import Foundation
import I386
import PC
import Synchronization

/// COM1 of a booted PC at the terminal, as QEMU's `-serial stdio`: what the
/// guest transmits goes to standard output; what arrives on standard input
/// (a terminal in raw mode, or a pipe such as xv6's `drive.py`) is received
/// by the UART. Host input is polled every millisecond of virtual time, so it
/// enters at an instruction boundary the run loop chose; only input that the
/// host times (a person typing, a driver waiting for output) makes two runs
/// differ. `--serial-input FILE` gives all the input at once instead (the
/// UART paces it at the line's speed) and the run is reproducible. Input
/// waits until the guest enabled the UART's receive interrupt: a driver's
/// set-up usually reads and drops what it finds in the receiver first.
final class SerialConsole {
    private let platform: PCPlatform
    private let machine: Machine
    private let writesOutput: Bool
    /// What the guest transmitted and is not yet on standard output (or, with
    /// `--serial none`, everything it transmitted).
    private(set) var transmitted: [UInt8] = []
    private var flushedCount = 0
    /// Bytes the reader thread took from standard input, not yet given to the UART.
    private let inbox = Inbox()

    /// The bytes between the reader thread and the run loop.
    private final class Inbox: Sendable {
        let bytes = Mutex<[UInt8]>([])
    }
    private var savedTerminal: termios?
    private let inputIsTerminal = isatty(0) != 0

    /// True while the guest re-runs instructions it ran before (a debugger
    /// stepping back and forward again): what it transmits then was shown
    /// already, and what it receives is what it received the first time.
    var isReplaying: () -> Bool = { false }
    /// Host input handed to the UART, by the device time of the poll that handed it over.
    private var receivedInput: [UInt64: [UInt8]] = [:]

    /// How often host input is looked at, in nanoseconds of device time.
    static let pollInterval: UInt64 = 1_000_000

    /// Connects COM1 of `platform`: `mode` nil or stdio → standard output and
    /// (without `inputFile`) standard input; none → output kept for the summary.
    init(platform: PCPlatform, machine: Machine, mode: RunOptions.SerialMode?, inputFile: String?,
         stopText: String? = nil) throws(ExitCode) {
        self.platform = platform
        self.machine = machine
        writesOutput = mode != RunOptions.SerialMode.none
        let stopBytes = stopText.map { Array($0.utf8) } ?? []
        platform.serialPort.output = { [unowned self] byte in
            if self.isReplaying() { return }
            self.transmitted.append(byte)
            if self.writesOutput && self.transmitted.count - self.flushedCount >= 4096 { self.flush() }
            if !stopBytes.isEmpty && byte == stopBytes.last && self.transmitted.count >= stopBytes.count
                && self.transmitted.suffix(stopBytes.count).elementsEqual(stopBytes) {
                self.sawStopText = true
                machine.requestStop()
            }
        }
        if let inputFile {
            guard let data = FileManager.default.contents(atPath: inputFile) else {
                throw fail("--serial-input: cannot read '\(inputFile)'")
            }
            inbox.bytes.withLock { $0 = [UInt8](data) }
        } else if writesOutput {
            startReadingStandardInput()
        }
        schedulePoll()
    }

    /// Puts a terminal on standard input in raw mode (the guest does its own
    /// echo and line editing) and starts the reader thread.
    private func startReadingStandardInput() {
        if inputIsTerminal {
            var settings = termios()
            if tcgetattr(0, &settings) == 0 {
                savedTerminal = settings
                cfmakeraw(&settings)
                settings.c_oflag |= tcflag_t(OPOST | ONLCR)  // keep "\n" → "\r\n" on the way out
                tcsetattr(0, TCSANOW, &settings)
            }
        }
        let thread = Thread { [inbox] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
                guard count > 0 else { return }
                inbox.bytes.withLock { $0 += buffer[0..<count] }
            }
        }
        thread.start()
    }

    /// Every `pollInterval` of device time: hand host input to the UART, write output.
    private func schedulePoll() {
        _ = platform.clock.schedule(after: Self.pollInterval) { [weak self] in
            guard let self else { return }
            // Input waits until the guest's driver enabled receive interrupts
            // (before that, a UART driver's set-up typically discards what it finds).
            let ready = self.platform.serialPort.isReceiveInterruptEnabled
            let now = self.platform.clock.now
            if self.isReplaying() {
                if let bytes = self.receivedInput[now] { self.platform.serialPort.receive(bytes) }
                self.schedulePoll()
                return
            }
            let bytes = !ready ? [] : self.inbox.bytes.withLock { pending -> [UInt8] in
                defer { pending.removeAll() }
                return pending
            }
            if !bytes.isEmpty { self.receivedInput[now] = bytes.filter { !self.inputIsTerminal || $0 != 3 } }
            if !bytes.isEmpty {
                // Ctrl-C from a terminal stops the run (a raw terminal sends it as a byte).
                if self.inputIsTerminal && bytes.contains(3) { self.machine.requestStop() }
                self.platform.serialPort.receive(bytes.filter { !self.inputIsTerminal || $0 != 3 })
            }
            self.flush()
            self.schedulePoll()
        }
    }

    /// Writes what the guest transmitted since the last flush to standard output.
    func flush() {
        guard writesOutput, flushedCount < transmitted.count else { return }
        let pending = transmitted[flushedCount...]
        pending.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(1, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
                guard written > 0 else { break }
                offset += written
            }
        }
        flushedCount = transmitted.count
    }

    /// Flushes the output and gives the terminal its settings back.
    func finish() {
        flush()
        if var settings = savedTerminal { tcsetattr(0, TCSANOW, &settings) }
    }

    /// True once the output ended with the `--until-output` text (the run then stopped).
    private(set) var sawStopText = false

    /// True when the guest's output went to standard output (the summary then goes to standard error).
    var ownsStandardOutput: Bool { writesOutput }
}

/// The machine a signal handler stops (SIGINT, SIGTERM).
nonisolated(unsafe) private var signalTarget: Unmanaged<Machine>?

/// Makes SIGINT and SIGTERM stop `machine`'s run at the next instruction
/// boundary, so it ends with the usual summary instead of dying.
func stopOnSignals(_ machine: Machine) {
    signalTarget = Unmanaged.passUnretained(machine)
    let handler: @convention(c) (Int32) -> Void = { _ in signalTarget?.takeUnretainedValue().requestStop() }
    signal(SIGINT, handler)
    signal(SIGTERM, handler)
}
