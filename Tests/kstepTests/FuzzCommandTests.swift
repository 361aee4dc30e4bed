import Foundation
import Testing

/// `kstep fuzz`: a short campaign ends with its summary, and the line it
/// prints for a case reproduces that case with `kstep run`.
@Suite struct FuzzCommandTests {
    static let images = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Images").path

    @Test func aShortCampaignEndsWithItsSummary() throws {
        let output = try KstepProcess.run(["fuzz", "--seed", "5", "--count", "300", "--elf-count", "20",
                                           "--elf-dir", Self.images])
        #expect(output.status == 0, "\(output.standardError)")
        #expect(output.standardOutput.contains("seed 5, 300 byte sequences"))
        #expect(output.standardOutput.contains("20 mutated ELF files"))
        #expect(output.standardOutput.contains("0 crashes, 0 hangs"))
        #expect(output.standardOutput.contains("stops: "))
    }

    @Test(arguments: [0, 1, 2, 3, 4, 5, 6, 7])
    func theCaseLineReproducesTheCase(index: Int) throws {
        let fuzz = try KstepProcess.run(["fuzz", "--seed", "11", "--case", "\(index)"])
        #expect(fuzz.status == 0)
        let lines = fuzz.standardOutput.split(separator: "\n").map(String.init)
        guard lines.count == 2, let hexStart = lines[0].range(of: "--hex '"),
              let hexEnd = lines[0][hexStart.upperBound...].firstIndex(of: "'"),
              let kindStart = lines[1].range(of: " stops with ") else {
            Issue.record("unexpected output: \(fuzz.standardOutput)")
            return
        }
        let words = lines[1][kindStart.upperBound...].split(separator: " ")
        guard words.count > 2 else {
            Issue.record("unexpected output: \(fuzz.standardOutput)")
            return
        }
        let (kind, steps) = (String(words[0]), String(words[2]))
        let hex = String(lines[0][hexStart.upperBound..<hexEnd])
        let options = lines[0][lines[0].index(after: hexEnd)...].split(separator: " ").map(String.init)
        let run = try KstepProcess.run(["run", "--hex", hex] + options + ["--final", "json"])
        let json = run.standardOutput
        #expect(json.contains("\"steps\": \(steps),"), "\(lines[1]) / \(json.prefix(300))")
        // The stop the fuzzer saw is the one `kstep run` reports.
        let key = kind.hasPrefix("#") ? "exception" : "reason"
        #expect(json.contains("\"\(key)\": \"\(kind)\""), "\(lines[1]) / \(json.prefix(300))")
    }
}
