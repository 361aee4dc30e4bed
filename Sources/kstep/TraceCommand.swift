import ArgumentParser
import I386
import Images
import Tracing
import X86Decoding

/// `kstep trace`: run like `kstep run`, printing one record per instruction.
struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Run an input like 'kstep run', printing each instruction with the registers and memory it changed.")

    @OptionGroup var options: RunOptions

    @Option(help: "Assembly syntax: att or intel.")
    var syntax: AssemblySyntax = .att

    @Option(name: .customLong("thread-size"), help: "THREAD_SIZE for the 'current' annotations: 8192 or 4096.")
    var threadSize: UInt32 = 8192

    @Option(help: "Print at most N instruction records (the run goes on to its stop).")
    var limit: Int?

    func validate() throws {
        guard threadSize == 8192 || threadSize == 4096 else { throw ValidationError("--thread-size must be 8192 or 4096") }
        if let limit, limit < 0 { throw ValidationError("--limit must not be negative") }
    }

    func run() throws {
        let (image, until) = try options.prepare()
        var tracer: TextTracer
        do {
            tracer = try TextTracer(symbols: image.symbols, syntax: syntax, threadSize: threadSize, limit: limit)
        } catch {
            throw fail("\(error)")
        }
        let machine = image.machine
        let reason = machine.run(maxSteps: options.maxSteps, until: until, observer: &tracer)
        tracer.finish()
        let state = FinalState(machine: machine, reason: reason, symbols: image.symbols, dumps: [])
        print(state.summary())
        switch reason {
        case .halted, .reachedUntil, .endOfCode: return
        case .stepLimit: throw ExitCode(ExitStatus.stepLimit.rawValue)
        case .exception, .tripleFault, .unsupported: throw ExitCode(ExitStatus.guestException.rawValue)
        }
    }
}
