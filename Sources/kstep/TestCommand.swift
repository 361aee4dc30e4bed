import ArgumentParser
import Foundation
import Images

/// `kstep test`: run every image's expectations.
struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run every image's expectations (NAME.expect.json beside NAME.elf) under DIR.")

    @Argument(help: "Directory to search (default: Images).")
    var directory: String = "Images"

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
                let (failures, steps) = try expectations.check()
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

    private func expectationFiles(under root: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
        var files: [String] = []
        while let entry = enumerator.nextObject() as? String {
            if entry.hasSuffix(".expect.json") { files.append((root as NSString).appendingPathComponent(entry)) }
        }
        return files.sorted()
    }
}
