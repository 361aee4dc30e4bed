import ArgumentParser

/// The `kstep` command: runs, traces and disassembles i386 kernel code.
@main
struct Kstep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "An instruction-level i386 interpreter for Linux 2.6 kernel micro-images.",
        subcommands: [RunCommand.self, TraceCommand.self, DiffCommand.self, TestCommand.self, CheckCurrentCommand.self, DisasmCommand.self, BenchCommand.self, GDBCommand.self, FuzzCommand.self])
}
