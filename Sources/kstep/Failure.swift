import ArgumentParser
import Foundation
import I386

/// Exit statuses, documented in the README.
enum ExitStatus: Int32 {
    /// The run stopped at hlt, at --until, or at the end of a snippet.
    case success = 0
    /// The guest raised an exception nobody handled, or triple-faulted.
    case guestException = 1
    /// The input was bad: unreadable file, malformed ELF, assembler error, bad option value.
    case badInput = 2
    /// The run reached --max-steps.
    case stepLimit = 3
    /// `kstep test` or `check-current` found failures.
    case checkFailed = 4
    /// Writing the output failed (a full disk, /dev/full); a closed pipe is not a failure.
    case outputFailed = 5
}

extension ExitStatus {
    /// The exit status of a run that stopped for `reason`.
    init(_ reason: StopReason) {
        switch reason {
        case .halted, .reachedUntil, .endOfCode, .stopRequested, .reset, .breakpoint, .watchpoint: self = .success
        case .stepLimit: self = .stepLimit
        case .exception, .tripleFault: self = .guestException
        }
    }
}

/// Prints `kstep: message` on stderr and returns the exit code to throw.
func fail(_ message: String, status: ExitStatus = .badInput) -> ExitCode {
    var standardError = StandardError()
    print("kstep: \(message)", to: &standardError)
    return ExitCode(status.rawValue)
}

/// Writes to the process's standard error.
struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        try? FileHandle.standardError.write(contentsOf: Data(string.utf8))
    }
}
