import ArgumentParser
import Foundation
import Images
import KernelModel
import Tracing

/// `kstep test`: run every image's expectations.
struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run every image's expectations (NAME.expect.json beside NAME.elf) under DIR.")

    @Argument(help: "Directory to search (default: Images).")
    var directory: String = "Images"

    @Flag(name: .customLong("update-golden"), help: "Rewrite each NAME.golden.jsonl from a fresh trace instead of comparing.")
    var updateGolden = false

    func run() throws {
        let files = expectationFiles(under: directory)
        guard !files.isEmpty else { throw fail("\(directory): no *.expect.json files found") }
        var passed = 0
        var failed = 0
        for file in files {
            let name = String(file.dropFirst(directory.count).drop(while: { $0 == "/" }).dropLast(".expect.json".count))
            let started = DispatchTime.now().uptimeNanoseconds
            do {
                let expectations = try ImageExpectations(path: file)
                var (failures, steps) = try expectations.check()
                let golden = String(file.dropLast(".expect.json".count)) + ".golden.jsonl"
                if FileManager.default.fileExists(atPath: golden) || (expectations.hasGoldenTrace && updateGolden) {
                    failures += try checkGolden(golden, expectations: expectations)
                } else if expectations.hasGoldenTrace {
                    failures.append("golden trace \((golden as NSString).lastPathComponent) is missing "
                                    + "(kstep test --update-golden creates it)")
                }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                if failures.isEmpty {
                    passed += 1
                    print("PASS \(name) (\(steps) steps, \(String(format: "%.2f", seconds)) s)")
                } else {
                    failed += 1
                    print("FAIL \(name): " + failures.joined(separator: "; "))
                }
            } catch {
                failed += 1
                print("FAIL \(name): \(error)")
            }
        }
        print("\(passed) passed, \(failed) failed")
        if failed > 0 { throw ExitCode(ExitStatus.checkFailed.rawValue) }
    }

    /// Traces the image (JSONL, default options) and compares it with its golden trace,
    /// or rewrites the golden trace with --update-golden.
    private func checkGolden(_ path: String, expectations: ImageExpectations) throws -> [String] {
        let image = expectations.imagePath
        let maxSteps = expectations.maxSteps
        let loaded = try expectations.load()
        var configuration = TraceConfiguration()
        configuration.format = .jsonl
        configuration.kernel = .linux26(Linux26Profile(threadSize: expectations.threadSize))
        let sink = ByteSink(handle: nil)
        var tracer = try Tracer(configuration: configuration, image: loaded.image, sink: sink)
        let reason = expectations.stopReason(loaded.image.machine.run(maxSteps: maxSteps, observer: &tracer), loaded)
        tracer.finish(stoppedBy: reason, machine: loaded.image.machine)
        let fresh = sink.contents
        if updateGolden {
            try Data(fresh).write(to: URL(fileURLWithPath: path))
            print("wrote \(path) (\(fresh.count) bytes)")
            return []
        }
        let committed = try InputFile.read(path)
        guard fresh != committed else { return [] }
        let freshLines = String(decoding: fresh, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let committedLines = String(decoding: committed, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        let line = (0..<min(freshLines.count, committedLines.count)).first { freshLines[$0] != committedLines[$0] }
            ?? min(freshLines.count, committedLines.count)
        return ["golden trace differs at line \(line + 1) (kstep diff \(path) \(image) shows how; "
                + "kstep test --update-golden rewrites it)"]
    }

    private func expectationFiles(under root: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
        var files: [String] = []
        while let entry = enumerator.nextObject() as? String {
            if entry.hasSuffix(".expect.json") { files.append((root as NSString).appendingPathComponent(entry)) }
        }
        return files.sorted()
    }
}
