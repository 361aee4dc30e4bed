import ArgumentParser
import Foundation
import I386
import Images
import Tracing
import X86Decoding

/// Trace options shared by `kstep trace` and `kstep diff`.
struct TraceOptions: ParsableArguments {
    @Option(help: "Output format: text, jsonl, tenet or qemu.")
    var format: TraceFormat = .text

    @Option(help: "Assembly syntax: att or intel.")
    var syntax: AssemblySyntax = .att

    @Option(name: .customLong("thread-size"), help: "THREAD_SIZE for the kernel annotations: 8192 or 4096.")
    var threadSize: UInt32 = 8192

    @Option(help: ArgumentHelp("Start recording when execution first reaches this symbol or address.", valueName: "SYMBOL|ADDR"))
    var from: String?

    @Option(help: ArgumentHelp("Record only instructions inside this function (a sized symbol).", valueName: "SYMBOL"))
    var only: String?

    @Option(help: ArgumentHelp("Show only these registers (comma-separated).", valueName: "eax,esp,…"))
    var regs: String?

    @Flag(name: .customLong("no-mem"), help: "Leave memory writes (and Tenet's reads) out.")
    var noMemory = false

    @Option(help: "Record at most N instructions (the run goes on to its stop).")
    var limit: Int?

    func validate() throws {
        guard threadSize == 8192 || threadSize == 4096 else { throw ValidationError("--thread-size must be 8192 or 4096") }
        if let limit, limit < 0 { throw ValidationError("--limit must not be negative") }
    }

    /// The configuration for `image`; bad symbols and register names are errors.
    func configuration(for image: LoadedImage, color: Bool) throws(ExitCode) -> TraceConfiguration {
        var configuration = TraceConfiguration()
        configuration.format = format
        configuration.syntax = syntax
        configuration.threadSize = threadSize
        configuration.useColor = color
        configuration.includeMemory = !noMemory
        configuration.limit = limit
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
        let color = !noColor && output == nil && traceOptions.format == .text && isatty(1) != 0
        let configuration = try traceOptions.configuration(for: image, color: color)
        var tracer: Tracer
        do {
            tracer = try Tracer(configuration: configuration, symbols: image.symbols, sink: ByteSink(handle: handle))
        } catch {
            throw fail("\(error)")
        }
        let machine = image.machine
        let reason = machine.run(maxSteps: options.maxSteps, until: until, observer: &tracer)
        tracer.finish()
        if let error = tracer.writeError { throw fail("\(output ?? "standard output"): writing the trace failed: \(error.localizedDescription)") }
        if output != nil || traceOptions.format == .text {
            var standardError = StandardError()
            let summary = FinalState(machine: machine, console: image.console.text, reason: reason, symbols: image.symbols, dumps: []).summary()
            if output == nil { print(summary) } else { print(summary, to: &standardError) }
        }
        let status = ExitStatus(reason)
        if status != .success { throw ExitCode(status.rawValue) }
    }
}

extension TraceFormat: ExpressibleByArgument {}
