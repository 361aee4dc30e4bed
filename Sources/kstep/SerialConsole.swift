import ArgumentParser
import Foundation
import I386
import Images
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
    /// Bytes the reader thread took from standard input, not yet given to the UART.
    private let inbox = Inbox()
    private let output: Output
    private var savedTerminal: termios?
    /// COM1's line: what the guest transmitted, input pacing, the stop text.
    private let line: SerialLine

    /// The bytes between the reader thread and the run loop.
    private final class Inbox: Sendable {
        let bytes = Mutex<[UInt8]>([])
    }

    /// Standard output, when the guest's output goes there: how much of it was written.
    private final class Output {
        let enabled: Bool
        private var flushedCount = 0
        init(enabled: Bool) { self.enabled = enabled }

        /// Writes what was transmitted since the last flush.
        func flush(_ transmitted: [UInt8]) {
            guard enabled, flushedCount < transmitted.count else { return }
            transmitted[flushedCount...].withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = write(1, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
                    guard written > 0 else { break }
                    offset += written
                }
            }
            flushedCount = transmitted.count
        }

        func flushIfLarge(_ transmitted: [UInt8]) {
            if enabled && transmitted.count - flushedCount >= 4096 { flush(transmitted) }
        }
    }

    /// What the guest transmitted (with `--serial none`, all of it is only here).
    var transmitted: [UInt8] { line.transmitted }

    /// Connects COM1 of `platform`: `mode` nil or stdio → standard output and
    /// (without `inputFile`) standard input; none → output kept for the summary.
    init(platform: PCPlatform, machine: Machine, mode: RunOptions.SerialMode?, inputFile: String?,
         stopText: String? = nil) throws(ExitCode) {
        let output = Output(enabled: mode != RunOptions.SerialMode.none)
        self.output = output
        if let inputFile {
            // A FileHandle, not FileManager.contents(atPath:), which refuses /dev/null and other devices.
            guard let handle = FileHandle(forReadingAtPath: inputFile),
                  let data = try? handle.readToEnd() ?? Data() else {
                throw fail("--serial-input: cannot read '\(inputFile)'")
            }
            inbox.bytes.withLock { $0 = [UInt8](data) }
        }
        let inputIsTerminal = isatty(0) != 0
        line = SerialLine(platform: platform, machine: machine, stopText: stopText,
                          input: { [inbox, unowned machine] in
                              // Ctrl-C from a terminal (a raw terminal sends it as a byte) stops the run.
                              let bytes = inbox.bytes.withLock { pending -> [UInt8] in
                                  defer { pending.removeAll() }
                                  return pending
                              }
                              guard inputIsTerminal, bytes.contains(3) else { return bytes }
                              machine.requestStop()
                              return bytes.filter { $0 != 3 }
                          },
                          afterTransmit: { line in output.flushIfLarge(line.transmitted) },
                          afterPoll: { line in output.flush(line.transmitted) })
        if inputFile == nil && output.enabled { startReadingStandardInput(isTerminal: inputIsTerminal) }
    }

    /// Puts a terminal on standard input in raw mode (the guest does its own
    /// echo and line editing) and starts the reader thread.
    private func startReadingStandardInput(isTerminal: Bool) {
        if isTerminal {
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

    /// Writes what the guest transmitted since the last flush to standard output.
    func flush() { output.flush(line.transmitted) }

    /// Flushes the output and gives the terminal its settings back.
    func finish() {
        flush()
        if var settings = savedTerminal { tcsetattr(0, TCSANOW, &settings) }
    }

    /// True once the output ended with the `--until-output` text (the run then stopped).
    var sawStopText: Bool { line.sawStopText }

    /// True when the guest's output went to standard output (the summary then goes to standard error).
    var ownsStandardOutput: Bool { output.enabled }
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
