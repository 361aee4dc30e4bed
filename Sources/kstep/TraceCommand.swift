import ArgumentParser
import Foundation
import I386
import Images
import KernelModel
import Tracing
import X86Decoding

/// Trace options shared by `kstep trace` and `kstep diff`.
struct TraceOptions: ParsableArguments {
    @Option(help: "Output format: text, jsonl, tenet or qemu.")
    var format: TraceFormat = .text

    @Option(help: "Assembly syntax: att or intel.")
    var syntax: AssemblySyntax = .att

    @Option(help: ArgumentHelp("Start recording when execution first reaches this symbol or address.", valueName: "SYMBOL|ADDR"))
    var from: String?

    @Option(help: ArgumentHelp("Record only instructions inside this function (a sized symbol).", valueName: "SYMBOL"))
    var only: String?

    @Option(help: ArgumentHelp("Show only these registers (comma-separated).", valueName: "eax,esp,…"))
    var regs: String?

    @Flag(name: .customLong("no-mem"), help: "Leave memory writes (and Tenet's reads) out.")
    var noMemory = false

    @Option(help: ArgumentHelp("Record at most N instructions (default 1,000,000; 'none' for no limit); the run goes on to its stop, and a trace the limit cut short says so on standard error.", valueName: "N|none"))
    var limit: RecordLimit = .records(TraceOptions.defaultLimit)

    /// The default record limit: a traced endless loop stops writing after about
    /// 100 MB of text or 250 MB of JSONL instead of filling a disk.
    static let defaultLimit = 1_000_000

    /// `--limit N|none`.
    enum RecordLimit: ExpressibleByArgument, Equatable {
        case records(Int)
        case none

        init?(argument: String) {
            if argument == "none" {
                self = .none
            } else if let count = Int(argument), count >= 0 {
                self = .records(count)
            } else {
                return nil
            }
        }

        var count: Int? {
            if case .records(let count) = self { return count }
            return nil
        }
    }

    @Flag(name: .customLong("stack-report"), help: "After the run, report each thread_union's deepest kernel esp, the bytes left above thread_info, and the instruction that reached it (on standard error).")
    var stackReport = false

    /// The kernel profiles `--kernel` names.
    enum Kernel: String, ExpressibleByArgument, CaseIterable {
        case linux26, xv6
    }

    @Option(help: "The kernel the events describe (default: xv6 when the image has xv6's symbols, else linux26).")
    var kernel: Kernel?


    /// The configuration for `image`; bad symbols and register names are errors.
    func configuration(for image: LoadedImage, color: Bool, threadSize: UInt32) throws(ExitCode) -> TraceConfiguration {
        var configuration = TraceConfiguration()
        configuration.format = format
        configuration.syntax = syntax
        configuration.kernel = try kernelProfile(for: image, threadSize: threadSize)
        configuration.useColor = color
        configuration.includeMemory = !noMemory
        configuration.limit = limit.count
        configuration.reportsStacks = stackReport
        if let regs {
            let names = regs.split(separator: ",").map { $0.filter { $0 != " " }.lowercased() }
            let unknown = names.filter { Register(name: $0) == nil }
            guard unknown.isEmpty else {
                let known = Register.allCases.map(\.name).joined(separator: ",")
                throw fail("--regs: unknown register '\(unknown[0])' (known: \(known))")
            }
            configuration.registers = Set(names + ["eip"])
        }
        if let from {
            guard let address = image.resolve(from) else { throw fail("--from: '\(from)' is not an address or a symbol of \(image.name)") }
            configuration.from = address
        }
        if let only {
            guard let symbol = image.symbols.symbol(named: only) else {
                throw fail("--only: '\(only)' is not a symbol of \(image.name)")
            }
            guard symbol.size > 0 else { throw fail("--only: '\(only)' has no size; name a function") }
            configuration.only = symbol.value..<(symbol.value &+ symbol.size)
        }
        return configuration
    }

    /// --kernel's profile; without it, xv6 when the image has xv6's symbols (said on
    /// standard error), else Linux 2.6.
    private func kernelProfile(for image: LoadedImage, threadSize: UInt32) throws(ExitCode) -> KernelProfile {
        var name = kernel?.rawValue ?? Kernel.linux26.rawValue
        if kernel == nil, let detected = KernelProfile.detected(for: image) {
            name = detected
            var standardError = StandardError()
            print("kstep: tracing with --kernel \(detected) (\(image.name) has its symbols: "
                  + "\(XV6Profile.signatureSymbols.joined(separator: ", ")); --kernel linux26 to override)", to: &standardError)
        }
        do {
            return try KernelProfile.named(name, for: image, threadSize: threadSize)
        } catch {
            throw fail("--kernel \(name): \(error)")
        }
    }
}

/// `kstep trace`: run like `kstep run`, recording every instruction.
struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Run an input like 'kstep run', recording each instruction with the registers and memory it changed.")

    @OptionGroup var options: RunOptions
    @OptionGroup var traceOptions: TraceOptions

    @Option(help: "Write the trace to FILE instead of standard output.")
    var output: String?

    @Flag(name: .customLong("no-color"), help: "No ANSI colours in text traces (they are off when output is not a terminal).")
    var noColor = false

    @Option(help: "Print the final state as one JSON object instead of the summary.")
    var final: RunCommand.FinalFormat?

    @Option(name: .customLong("dump"), help: ArgumentHelp("Add LEN bytes at ADDR (a number or symbol[+offset]) to the final state.", valueName: "ADDR:LEN"))
    var dumps: [String] = []

    func validate() throws {
        if traceOptions.kernel == .xv6 && options.threadSize != 8192 {
            throw ValidationError("--thread-size applies to --kernel linux26")
        }
    }

    func run() throws {
        let (image, until) = try options.prepare()
        let handle: FileHandle
        if let output {
            // open(2), not FileManager.createFile: the latter replaces the path (even /dev/null) with a new file.
            let descriptor = open(output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard descriptor >= 0 else {
                throw fail("--output: cannot write '\(output)': \(String(cString: strerror(errno)))")
            }
            handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        } else {
            handle = FileHandle.standardOutput
        }
        // NO_COLOR (no-color.org): any non-empty value turns colour off.
        let noColorVariable = ProcessInfo.processInfo.environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        let color = !noColor && !noColorVariable && output == nil && traceOptions.format == .text && isatty(1) != 0
        let configuration = try traceOptions.configuration(for: image, color: color, threadSize: options.threadSize)
        var tracer: Tracer
        do {
            tracer = try Tracer(configuration: configuration, image: image, sink: ByteSink(handle: handle))
        } catch {
            throw fail("\(error)")
        }
        let machine = image.machine
        var serial: SerialConsole?
        if let platform = image.platform {
            // COM1 defaults to none here: the trace has standard output.
            serial = try SerialConsole(platform: platform, machine: machine, mode: options.serial ?? RunOptions.SerialMode.none,
                                       inputFile: options.serialInput, stopText: options.untilOutput)
            stopOnSignals(machine)
        }
        var reason = machine.run(maxSteps: options.maxSteps, until: until, observer: &tracer)
        serial?.finish()
        if reason == .stopRequested, serial?.sawStopText == true { reason = .reachedUntil }
        tracer.finish(stoppedBy: reason, machine: machine)
        if tracer.wasTruncated, let limit = traceOptions.limit.count {
            var standardError = StandardError()
            print("kstep: trace truncated after \(limit) record\(limit == 1 ? "" : "s") (--limit N records more, --limit none all); "
                  + "the run went on to its stop", to: &standardError)
        }
        if traceOptions.stackReport {
            var standardError = StandardError()
            print("stack report (THREAD_SIZE \(options.threadSize), recorded instructions):", to: &standardError)
            for line in tracer.stackReport(machine) { print(line, to: &standardError) }
        }
        if let error = tracer.writeError { throw fail("\(output ?? "standard output"): writing the trace failed: \(error.localizedDescription)", status: .outputFailed) }
        // The summary follows a text trace on standard output; it goes to standard error
        // when the trace goes to a file or is in a machine-readable format.
        do {
            var standardError = StandardError()
            var state = FinalState(machine: machine, console: image.console.text, reason: reason, symbols: image.symbols,
                                   dumps: try RunCommand.dumpedMemory(dumps, image: image))
            if let serial, !serial.ownsStandardOutput { state.serial = serial.transmitted }
            let summary = final == .json ? state.json() : state.summary()
            if output == nil && traceOptions.format == .text && serial?.ownsStandardOutput != true {
                print(summary)
            } else {
                print(summary, to: &standardError)
            }
        }
        let status = ExitStatus(reason)
        if status != .success { throw ExitCode(status.rawValue) }
    }
}

extension TraceFormat: ExpressibleByArgument {}
