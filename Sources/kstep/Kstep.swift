import ArgumentParser
import Foundation

/// The `kstep` command: runs, traces and disassembles i386 kernel code.
@main
struct Kstep: ParsableCommand {
    /// `kstep --version`.
    static let version = "0.16.0"

    static let configuration = CommandConfiguration(
        abstract: "An instruction-level i386 interpreter for Linux 2.6 kernel micro-images.",
        version: "kstep \(version)",
        subcommands: [RunCommand.self, TraceCommand.self, DiffCommand.self, TestCommand.self, CheckCurrentCommand.self, DisasmCommand.self, BenchCommand.self, GDBCommand.self, FuzzCommand.self])

    /// ArgumentParser's `main`, with the README's exit statuses: a bad option or
    /// value is status 2 (not EX_USAGE), and output that could not be written
    /// (a full disk, /dev/full; a closed pipe aside) is status 5.
    static func main() {
        let command: ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            if exitCode(for: error) == .validationFailure {
                var standardError = StandardError()
                print(fullMessage(for: error), to: &standardError)
                Foundation.exit(ExitStatus.badInput.rawValue)
            }
            exit(withError: error)
        }
        var mutableCommand = command
        var status: Int32 = 0
        do {
            try mutableCommand.run()
        } catch {
            status = exitCode(for: error).rawValue
            if status == ExitCode.validationFailure.rawValue { status = ExitStatus.badInput.rawValue }
            if !(error is ExitCode) {
                var standardError = StandardError()
                print(fullMessage(for: error), to: &standardError)
            }
        }
        if let failure = standardOutputFailure() {
            var standardError = StandardError()
            print("kstep: standard output: \(failure)", to: &standardError)
            Foundation.exit(ExitStatus.outputFailed.rawValue)
        }
        Foundation.exit(status)
    }

    /// Flushes standard output; the error if writing it failed (EPIPE, a reader that went away, is not one).
    static func standardOutputFailure() -> String? {
        // fflush(NULL): every output stream (naming stdout is not concurrency-safe in Swift 6);
        // a write that failed before leaves its bytes buffered, so this fails too.
        errno = 0
        guard fflush(nil) != 0 else { return nil }
        let code = errno
        if code == EPIPE { return nil }
        return code == 0 ? "write error" : String(cString: strerror(code))
    }
}
