import Foundation
import Testing

/// Issue 16, item 1: `kstep diff` streams, reports regions, and says where it stopped.
@Suite struct StreamingDiffTests {
    static func temporary(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("kstep-sdiff-\(UUID().uuidString)-\(name)")
    }

    @Test func regionsReConvergeAndAreLimited() throws {
        let trace = try KstepProcess.run(["trace", "--format", "jsonl", "--asm",
                                          "movl $1,%eax; movl $2,%ebx; movl $3,%ecx; movl $4,%edx; movl $5,%esi; movl $6,%edi"])
        var lines = trace.standardOutput.split(separator: "\n").map(String.init)
        let original = Self.temporary("a.jsonl"), planted = Self.temporary("b.jsonl")
        defer { try? FileManager.default.removeItem(at: original); try? FileManager.default.removeItem(at: planted) }
        try (lines.joined(separator: "\n") + "\n").write(to: original, atomically: true, encoding: .utf8)
        // Two separate differences in what records 2 and 5 write to memory (registers stay the same).
        lines[1] = lines[1].replacingOccurrences(of: "\"mem\":[]", with: "\"mem\":[{\"addr\":\"0x00001000\"}]")
        lines[4] = lines[4].replacingOccurrences(of: "\"mem\":[]", with: "\"mem\":[{\"addr\":\"0x00002000\"}]")
        try (lines.joined(separator: "\n") + "\n").write(to: planted, atomically: true, encoding: .utf8)
        let first = try KstepProcess.run(["diff", original.path, planted.path])
        #expect(first.status == 4)
        #expect(first.standardOutput.hasPrefix("first divergence at record 2 (step 2)"), "\(first.standardOutput)")
        #expect(first.standardOutput.contains("  re-converged at record 3 (step 3) after 1 differing record"))
        #expect(first.standardOutput.contains("more divergences follow: stopped after 1 (--max-divergences 1)"))
        let both = try KstepProcess.run(["diff", original.path, planted.path, "--max-divergences", "5"])
        #expect(both.standardOutput.contains("divergence 2 at record 5 (step 5)"), "\(both.standardOutput)")
        #expect(!both.standardOutput.contains("more divergences follow"))
    }

    @Test func fromStepShowsWhereADifferentStartFirstMatters() throws {
        let source = Self.temporary("start.s")
        defer { try? FileManager.default.removeItem(at: source) }
        try "movl $5, %eax\nnop\naddl %ebx, %eax\nhlt\n".write(to: source, atomically: true, encoding: .utf8)
        let plain = try KstepProcess.run(["diff", source.path, source.path, "--b-set", "ebx=1"])
        #expect(plain.standardOutput.hasPrefix("first divergence at record 1"))
        let later = try KstepProcess.run(["diff", source.path, source.path, "--b-set", "ebx=1", "--from-step", "2"])
        #expect(later.status == 4)
        #expect(later.standardOutput.hasPrefix("first divergence at record 3 (step 3)"), "\(later.standardOutput)")
        #expect(later.standardOutput.contains("addl %ebx, %eax"))
    }

    @Test func aStepLimitIsSaid() throws {
        let source = Self.temporary("loop.s")
        defer { try? FileManager.default.removeItem(at: source) }
        try "1: jmp 1b\n".write(to: source, atomically: true, encoding: .utf8)
        let output = try KstepProcess.run(["diff", source.path, source.path, "--max-steps", "20"])
        #expect(output.status == 0)
        #expect(output.standardOutput.contains("traces agree: 20 records"), "\(output.standardOutput)")
        #expect(output.standardOutput.contains("A stopped at its step limit"))
        #expect(output.standardOutput.contains("B stopped at its step limit"))
    }

    @Test func memoryStaysBoundedOnALongTrace() throws {
        let trace = Self.temporary("long.jsonl")
        defer { try? FileManager.default.removeItem(at: trace) }
        let made = try KstepProcess.run(["trace", "--format", "jsonl", "--asm", "1: incl %eax; pushl %eax; popl %ebx; jmp 1b",
                                         "--max-steps", "100000", "--limit", "none", "--output", trace.path])
        #expect(made.status == 3)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/time")
        process.arguments = ["-f", "maxrss %M", KstepProcess.executable.path, "diff", trace.path, trace.path]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(output.contains("traces agree: 100000 records"), "\(output)")
        let kilobytes = try #require(errors.split(separator: "\n").last { $0.hasPrefix("maxrss ") }.flatMap { Int($0.dropFirst(7)) })
        #expect(kilobytes < 100_000, "kstep diff of two 100,000-record traces used \(kilobytes) KB")
    }
}
