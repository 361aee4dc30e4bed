import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process whose output is read as it comes (so a chatty child never
/// blocks on a full pipe) and whose every wait is bounded; `stop()` ends it
/// for sure (SIGTERM, then SIGKILL). With `mergingErrors`, standard error
/// goes into the standard output pipe, so the two keep their order.
final class ChildProcess: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var output = Data()
    private var errors = Data()
    private var closedPipes = 0

    init(_ executable: URL, _ arguments: [String], standardInput: FileHandle? = nil, mergingErrors: Bool = false) throws {
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = mergingErrors ? out : err
        process.standardInput = standardInput ?? FileHandle(forReadingAtPath: "/dev/null")
        out.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil }
            self?.lock.withLock {
                self?.output.append(data)
                if data.isEmpty { self?.closedPipes += 1 }
            }
        }
        err.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil }
            self?.lock.withLock {
                self?.errors.append(data)
                if data.isEmpty { self?.closedPipes += 1 }
            }
        }
        try Self.launch(process)
        if mergingErrors {
            try? err.fileHandleForWriting.close()  // no writer: its reader sees the end at once
        }
    }

    /// Starts `process` from a thread with no signal blocked: a child inherits
    /// the mask of the thread that spawns it, and the test runner's threads
    /// block SIGINT, which a child gdb must get to turn it into a Ctrl-C.
    private static func launch(_ process: Process) throws {
        final class Outcome: @unchecked Sendable {
            var error: Error?
        }
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            var none = sigset_t()
            sigemptyset(&none)
            pthread_sigmask(SIG_SETMASK, &none, nil)
            do {
                try process.run()
            } catch {
                outcome.error = error
            }
            done.signal()
        }
        thread.start()
        done.wait()
        if let error = outcome.error { throw error }
    }

    var standardOutput: String { lock.withLock { String(decoding: output, as: UTF8.self) } }
    var standardError: String { lock.withLock { String(decoding: errors, as: UTF8.self) } }
    var isRunning: Bool { process.isRunning }

    /// Waits until `condition` holds or `seconds` pass; returns whether it held.
    @discardableResult
    func wait(seconds: Double, until condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }

    /// Waits for the process to exit; false if it is still running after `seconds`.
    @discardableResult
    func waitForExit(seconds: Double) -> Bool {
        let exited = wait(seconds: seconds) { !process.isRunning }
        if exited { wait(seconds: 2) { lock.withLock { closedPipes >= 2 } } }  // the last output arrives
        return exited
    }

    /// Sends a signal (SIGINT: a Ctrl-C).
    func signal(_ number: Int32) {
        if process.isRunning { kill(process.processIdentifier, number) }
    }

    /// Ends the process if it still runs.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        if !waitForExit(seconds: 3) { kill(process.processIdentifier, SIGKILL) }
        waitForExit(seconds: 3)
    }
}
