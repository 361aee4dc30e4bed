import Foundation
import Testing

/// `kstep diff` and golden traces in `kstep test`.
@Suite struct DiffAndGoldenTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    static func temporary(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("kstep-\(UUID().uuidString)-\(name)")
    }

    @Test func diffFindsAPlantedDivergence() throws {
        let trace = try KstepProcess.run(["trace", "--format", "jsonl", "--asm",
                                          "movl $1,%eax; movl $2,%ebx; addl %ebx,%eax; pushl %eax; popl %ecx"])
        #expect(trace.status == 0)
        var lines = trace.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.count == 6)  // five records and the stop record
        let original = Self.temporary("a.jsonl"), planted = Self.temporary("b.jsonl")
        defer { try? FileManager.default.removeItem(at: original); try? FileManager.default.removeItem(at: planted) }
        try (lines.joined(separator: "\n") + "\n").write(to: original, atomically: true, encoding: .utf8)
        lines[2] = lines[2].replacingOccurrences(of: "\"eax\":\"0x00000003\"", with: "\"eax\":\"0x00000004\"")
        lines[3] = lines[3].replacingOccurrences(of: "\"new\":\"0x00000003\"", with: "\"new\":\"0x00000004\"")
        try (lines.joined(separator: "\n") + "\n").write(to: planted, atomically: true, encoding: .utf8)

        let same = try KstepProcess.run(["diff", original.path, original.path])
        #expect(same.status == 0)
        #expect(same.standardOutput == "traces agree: 5 records\n")

        let output = try KstepProcess.run(["diff", original.path, planted.path])
        #expect(output.status == 4)
        let text = output.standardOutput
        #expect(text.hasPrefix("first divergence at record 3 (step 3)"))
        #expect(text.contains("  = step 2 0x00100005 movl $2, %ebx"))
        #expect(text.contains("  A step 3 0x0010000a addl %ebx, %eax"))
        #expect(text.contains("  eax: A 0x00000003  B 0x00000004"))
    }

    @Test func diffOfTwoRunsOnTheSpot() throws {
        let source = Self.temporary("diff.s")
        defer { try? FileManager.default.removeItem(at: source) }
        try "movl %eax, %ebx\naddl $1, %ebx\nhlt\n".write(to: source, atomically: true, encoding: .utf8)
        let output = try KstepProcess.run(["diff", source.path, source.path, "--b-set", "eax=5"])
        #expect(output.status == 4)
        #expect(output.standardOutput.hasPrefix("first divergence at record 1"))
        #expect(output.standardOutput.contains("eax: A 0x00000000  B 0x00000005"))
        #expect(output.standardOutput.contains("ebx: A 0x00000000  B 0x00000005"))
    }

    @Test func goldenTraceIsCheckedAndUpdated() throws {
        let directory = Self.temporary("golden")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for suffix in [".elf", ".expect.json", ".golden.jsonl"] {
            try FileManager.default.copyItem(atPath: Self.path("Images/switch_to/switch_to" + suffix),
                                             toPath: directory.appendingPathComponent("switch_to" + suffix).path)
        }
        #expect(try KstepProcess.run(["test", directory.path]).status == 0)

        let golden = directory.appendingPathComponent("switch_to.golden.jsonl")
        var lines = try String(contentsOf: golden, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[9] = lines[9].replacingOccurrences(of: "\"step\":10,", with: "\"step\":10,\"planted\":1,")
        try lines.joined(separator: "\n").write(to: golden, atomically: true, encoding: .utf8)
        let failing = try KstepProcess.run(["test", directory.path])
        #expect(failing.status == 4)
        #expect(failing.standardOutput.contains("FAIL switch_to: golden trace differs at line 10"))

        #expect(try KstepProcess.run(["test", directory.path, "--update-golden"]).status == 0)
        #expect(try KstepProcess.run(["test", directory.path]).status == 0)
        #expect(try Data(contentsOf: golden) == Data(contentsOf: URL(fileURLWithPath: Self.path("Images/switch_to/switch_to.golden.jsonl"))))
    }
}
