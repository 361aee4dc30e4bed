import ArgumentParser
import Foundation
import Images
import Tracing

/// `kstep diff`: the first divergence between two traces.
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two traces step by step, streaming, and print where they diverge.",
        discussion: """
            A and B are JSONL traces ('kstep trace --format jsonl'), or inputs (ELF, .s/.S) that are \
            traced on the spot. --a-*/--b-* options apply to one side only, e.g. the same image \
            with --a-thread-size 8192 --b-thread-size 4096, or --b-set eax=1.
            """)

    @Argument(help: "A JSONL trace or an input to trace.")
    var a: String

    @Argument(help: "A JSONL trace or an input to trace.")
    var b: String

    @Option(name: .customLong("a-thread-size"), help: "THREAD_SIZE for tracing A.")
    var aThreadSize: UInt32 = 8192
    @Option(name: .customLong("b-thread-size"), help: "THREAD_SIZE for tracing B.")
    var bThreadSize: UInt32 = 8192
    @Option(name: .customLong("a-set"), help: ArgumentHelp("Set a register before tracing A.", valueName: "REG=VALUE"))
    var aSet: [String] = []
    @Option(name: .customLong("b-set"), help: ArgumentHelp("Set a register before tracing B.", valueName: "REG=VALUE"))
    var bSet: [String] = []
    @Option(name: .customLong("max-steps"), help: "Step limit for traced inputs.")
    var maxSteps: Int = 10_000_000
    @Option(help: "Records of context to show before a divergence.")
    var context: Int = 3
    @Option(name: .customLong("max-divergences"), help: "Divergence regions to report; the comparison stops when one more begins.")
    var maxDivergences: Int = 1
    @Option(name: .customLong("from-step"), help: ArgumentHelp("Compare from this step on, each record by what it changed (so a different initial state, e.g. --b-set, counts only where it changes what an instruction does).", valueName: "N"))
    var fromStep: Int = 0

    func validate() throws {
        guard context >= 0, maxDivergences >= 1, fromStep >= 0 else {
            throw ValidationError("--context and --from-step must not be negative, --max-divergences at least 1")
        }
    }

    func run() throws {
        var temporary: [String] = []
        defer { for path in temporary { try? FileManager.default.removeItem(atPath: path) } }
        let left = try trace(a, threadSize: aThreadSize, assignments: aSet, temporary: &temporary)
        let right = try trace(b, threadSize: bThreadSize, assignments: bSet, temporary: &temporary)
        var diff = StreamingTraceDiff()
        diff.context = context
        diff.maxDivergences = maxDivergences
        diff.fromStep = fromStep
        let summary: StreamingTraceDiff.Summary
        do {
            summary = try diff.run(try JSONLReader(path: left), try JSONLReader(path: right)) { print($0) }
        } catch {
            throw fail("\(error)")
        }
        if summary.truncated {
            print("more divergences follow: stopped after \(summary.divergences) (--max-divergences \(maxDivergences))")
        }
        if summary.divergences == 0 {
            print("traces agree: \(summary.compared) records" + (fromStep > 0 ? " from step \(fromStep)" : ""))
        }
        for (side, stop) in [("A", summary.stopA), ("B", summary.stopB)] {
            guard let text = StreamingTraceDiff.describeStop(stop) else { continue }
            if text.hasPrefix("step-limit") {
                print("\(side) stopped at its step limit (\(text)): the run goes on past what was compared")
            }
        }
        if summary.divergences > 0 { throw ExitCode(ExitStatus.checkFailed.rawValue) }
    }

    /// A JSONL file's path, or the path of a trace of an input written to a temporary file now.
    private func trace(_ path: String, threadSize: UInt32, assignments: [String], temporary: inout [String]) throws -> String {
        if path.hasSuffix(".jsonl") { return path }
        guard threadSize == 8192 || threadSize == 4096 else { throw fail("thread size must be 8192 or 4096") }
        let image: LoadedImage
        do {
            image = try ImageLoader.load(.file(path), threadSize: threadSize)
        } catch {
            throw fail("\(error)")
        }
        for text in assignments {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let value = image.resolve(parts[1]) else { throw fail("'\(text)' is not REG=VALUE") }
            do {
                try image.machine.setRegister(named: parts[0], value)
            } catch {
                throw fail("\(error)")
            }
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kstep-diff-\(UUID().uuidString).jsonl").path
        let descriptor = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { throw fail("cannot write a temporary trace '\(file)'") }
        temporary.append(file)
        var configuration = TraceConfiguration()
        configuration.format = .jsonl
        configuration.threadSize = threadSize
        let sink = ByteSink(handle: FileHandle(fileDescriptor: descriptor, closeOnDealloc: true))
        var tracer: Tracer
        do {
            tracer = try Tracer(configuration: configuration, image: image, sink: sink)
        } catch {
            throw fail("\(error)")
        }
        let reason = image.machine.run(maxSteps: maxSteps, observer: &tracer)
        tracer.finish(stoppedBy: reason, machine: image.machine)
        if let error = tracer.writeError { throw fail("\(file): \(error.localizedDescription)", status: .outputFailed) }
        return file
    }
}
