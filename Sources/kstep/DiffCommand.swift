import ArgumentParser
import Foundation
import Images
import Tracing

/// `kstep diff`: the first divergence between two traces.
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two traces step by step and print the first divergence.",
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
    @Option(help: "Records of context to show before the divergence.")
    var context: Int = 3

    func run() throws {
        let left = try records(a, threadSize: aThreadSize, assignments: aSet)
        let right = try records(b, threadSize: bThreadSize, assignments: bSet)
        guard let divergence = TraceDiff.firstDivergence(left, right, context: context) else {
            print("traces agree: \(left.count) records")
            return
        }
        print("first divergence at record \(divergence.index + 1) (step \(divergence.a?.step ?? divergence.b?.step ?? 0))")
        for record in divergence.context {
            print("  = step \(record.step) \(record.eip) \(record.assembly)")
        }
        print("  A step \(divergence.a.map { "\($0.step) \($0.eip) \($0.assembly)" } ?? "(trace ended)")")
        print("  B step \(divergence.b.map { "\($0.step) \($0.eip) \($0.assembly)" } ?? "(trace ended)")")
        for (name, valueA, valueB) in divergence.registers {
            print("  \(name): A \(valueA)  B \(valueB)")
        }
        if divergence.memoryA != divergence.memoryB {
            print("  memory: A \(divergence.memoryA)")
            print("          B \(divergence.memoryB)")
        }
        if divergence.eventsA != divergence.eventsB {
            print("  events: A \(divergence.eventsA)")
            print("          B \(divergence.eventsB)")
        }
        throw ExitCode(ExitStatus.checkFailed.rawValue)
    }

    /// The records of a JSONL file, or of a trace of an input run now.
    private func records(_ path: String, threadSize: UInt32, assignments: [String]) throws -> [TraceDiff.Record] {
        if path.hasSuffix(".jsonl") {
            do {
                let data = try InputFile.read(path)
                return try TraceDiff.records(String(decoding: data, as: UTF8.self), name: path)
            } catch {
                throw fail("\(error)")
            }
        }
        guard threadSize == 8192 || threadSize == 4096 else { throw fail("thread size must be 8192 or 4096") }
        let image: LoadedImage
        do {
            image = try ImageLoader.load(.file(path))
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
        var configuration = TraceConfiguration()
        configuration.format = .jsonl
        configuration.threadSize = threadSize
        let sink = ByteSink(handle: nil)
        var tracer: Tracer
        do {
            tracer = try Tracer(configuration: configuration, image: image, sink: sink)
        } catch {
            throw fail("\(error)")
        }
        let reason = image.machine.run(maxSteps: maxSteps, observer: &tracer)
        tracer.finish(stoppedBy: reason, machine: image.machine)
        do {
            return try TraceDiff.records(String(decoding: sink.contents, as: UTF8.self), name: path)
        } catch {
            throw fail("\(error)")
        }
    }
}
