import Foundation
import Testing

/// `kstep check-current`, `kstep test`, and hostile ELF fixtures through `kstep run`.
@Suite struct ImageCommandsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    @Test func checkCurrentPassesGoodImagesAndCatchesBadOnes() throws {
        let good = try KstepProcess.run(["check-current", Self.path("Images/current/current_4k.elf"), "--thread-size", "4096"])
        #expect(good.status == 0)
        #expect(good.standardOutput.contains("1011 stack pointers, 0 mismatches"))
        #expect(good.standardOutput.contains("current: OK (THREAD_SIZE 4096)"))
        let bad = try KstepProcess.run(["check-current", Self.path("Images/stack_overflow/stack_overflow.elf"), "--show", "1"])
        #expect(bad.status == 4)
        #expect(bad.standardOutput.contains("init_thread_union: esp 015fa034: thread_info 015fa000, task 5a5a5a5a"))
        #expect(bad.standardOutput.contains("current: 2035 mismatches"))
    }

    @Test func testCommandReportsEachImageAndATotal() throws {
        let output = try KstepProcess.run(["test", Self.path("Images/current")])
        #expect(output.status == 0)
        #expect(output.standardOutput.contains("PASS current_8k"))
        #expect(output.standardOutput.contains("PASS current_4k"))
        #expect(output.standardOutput.hasSuffix("2 passed, 0 failed\n"))
    }

    @Test func testCommandFailsOnAWrongExpectation() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kstep-expect-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.copyItem(atPath: Self.path("Images/current/current_8k.elf"),
                                         toPath: directory.appendingPathComponent("x.elf").path)
        try #"{"stop": "hlt", "registers": {"eax": "init_thread_union"}, "max_steps": 100000}"#
            .write(to: directory.appendingPathComponent("x.expect.json"), atomically: true, encoding: .utf8)
        let output = try KstepProcess.run(["test", directory.path])
        #expect(output.status == 4)
        #expect(output.standardOutput.contains("FAIL x: eax = c0101000, expected init_thread_union (015fa000)"))
        #expect(output.standardOutput.hasSuffix("0 passed, 1 failed\n"))
    }

    @Test(arguments: [
        ("truncated.elf", "shorter than an ELF header"),
        ("wrong-machine.elf", "machine 62 is not EM_386"),
        ("huge-phnum.elf", "program header table (65535 entries"),
        ("offset-past-end.elf", "runs past the end of the file"),
        ("overlapping-segments.elf", "overlap"),
        ("segment-past-end.elf", "segment 0 data"),
        ("not-elf.elf", "shorter than an ELF header"),
    ])
    func hostileELFFixtures(file: String, reason: String) throws {
        let path = Self.path("Tests/ImagesTests/Fixtures/" + file)
        let output = try KstepProcess.run(["run", path])
        #expect(output.status == 2)
        #expect(output.standardError.hasPrefix("kstep: \(path): not a valid i386 ELF32 file"))
        #expect(output.standardError.contains(reason))
        #expect(output.standardError.split(separator: "\n").count == 1)
    }
}
