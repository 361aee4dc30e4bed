import ArgumentParser
import Foundation
import I386
import Images
import Tracing

/// `kstep bench`: runs images to their stop and reports instructions per second.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run images untraced and report instructions, seconds and MIPS for each.")

    @Argument(help: "ELF images to run (each must stop with hlt).")
    var images: [String]

    @Option(name: .customLong("max-steps"), help: "Step limit per image.")
    var maxSteps: Int = 2_000_000_000

    @Option(help: "Also time a traced run in this format, written to /dev/null.")
    var trace: TraceFormat?

    func run() throws {
        var failed = false
        print("image".padding(to: 32) + "instructions".padding(to: 14) + "seconds".padding(to: 10) + "MIPS")
        for path in images {
            let loaded: LoadedImage
            do {
                loaded = try ImageLoader.load(try InputFile.loadELF(path))
            } catch {
                throw fail("\(error)")
            }
            let machine = loaded.machine
            let start = DispatchTime.now().uptimeNanoseconds
            let reason = machine.run(maxSteps: maxSteps)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let count = machine.instructionCount
            let mips = Double(count) / seconds / 1e6
            let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            print(name.padding(to: 32) + "\(count)".padding(to: 14)
                  + String(format: "%.3f", seconds).padding(to: 10) + String(format: "%.1f", mips))
            if reason != .halted {
                print("  stopped with \(reason) at \(machine.describe(machine.eip))")
                failed = true
            }
            if let trace {
                let traced = try ImageLoader.load(try InputFile.loadELF(path))
                var configuration = TraceConfiguration()
                configuration.format = trace
                let sink = ByteSink(handle: FileHandle(forWritingAtPath: "/dev/null"))
                var tracer = try Tracer(configuration: configuration, symbols: traced.symbols, sink: sink)
                let tracedStart = DispatchTime.now().uptimeNanoseconds
                _ = traced.machine.run(maxSteps: maxSteps, observer: &tracer)
                tracer.finish()
                let tracedSeconds = Double(DispatchTime.now().uptimeNanoseconds - tracedStart) / 1e9
                let tracedCount = traced.machine.instructionCount
                print(("  traced (\(trace.rawValue))").padding(to: 32) + "\(tracedCount)".padding(to: 14)
                      + String(format: "%.3f", tracedSeconds).padding(to: 10)
                      + String(format: "%.1f", Double(tracedCount) / tracedSeconds / 1e6))
            }
        }
        if failed { throw ExitCode(ExitStatus.guestException.rawValue) }
    }
}
