import Foundation
import Testing

/// Issue 16, item 2: check-current cannot be fooled.
@Suite struct CheckCurrentTruthTests {
    /// Two 4 KB unions whose thread_info.task points at their tasks; `sized` adds .type/.size.
    static func source(sized: Bool, ending: String = "hlt") -> String {
        func union(_ name: String) -> String {
            (sized ? ".type \(name)_thread_union, @object\n.size \(name)_thread_union, 4096\n" : "")
                + ".globl \(name)_thread_union\n\(name)_thread_union: .long \(name)_task\n.space 4092\n"
        }
        return ".text\n.globl _start\n_start: \(ending)\n.data\n.balign 4096\n" + union("a") + union("b")
            + "a_task: .space 1024\nb_task: .space 1024\n"
    }

    static func file(_ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kstep-cc-\(UUID().uuidString).s")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test func twoFourKilobyteUnionsPassWithoutTheEnvironmentsUnion() throws {
        let image = try Self.file(Self.source(sized: true))
        defer { try? FileManager.default.removeItem(at: image) }
        let output = try KstepProcess.run(["check-current", image.path, "--thread-size", "4096"])
        #expect(output.status == 0, "\(output.standardOutput)\(output.standardError)")
        let text = output.standardOutput
        #expect(text.contains("a_thread_union at 0x00101000, 4096 bytes task a_task"), "\(text)")
        #expect(text.contains("b_thread_union at 0x00102000, 4096 bytes"), "\(text)")
        #expect(text.contains("init_thread_union: the default environment's, not checked"), "\(text)")
        #expect(text.contains("current: OK (THREAD_SIZE 4096): 2 unions, 2022 stack pointers"), "\(text)")
    }

    @Test func unsizedUnionsAreNotSkippedSilently() throws {
        let image = try Self.file(Self.source(sized: false))
        defer { try? FileManager.default.removeItem(at: image) }
        let output = try KstepProcess.run(["check-current", image.path, "--thread-size", "4096"])
        #expect(output.status == 2, "\(output.standardOutput)")
        #expect(output.standardError.contains("a_thread_union has no size"), "\(output.standardError)")
        #expect(output.standardError.contains("--union"))
        let given = try KstepProcess.run(["check-current", image.path, "--thread-size", "4096",
                                          "--union", "a_thread_union:4096", "--union", "0x102000:0x1000"])
        #expect(given.status == 0, "\(given.standardOutput)\(given.standardError)")
        #expect(given.standardOutput.contains("current: OK (THREAD_SIZE 4096): 2 unions, 2022 stack pointers"),
                "\(given.standardOutput)")
    }

    @Test func anImageWhoseOwnRunFaultsFails() throws {
        let image = try Self.file(Self.source(sized: true, ending: "movl 0x50000000, %eax; hlt"))
        defer { try? FileManager.default.removeItem(at: image) }
        let output = try KstepProcess.run(["check-current", image.path, "--thread-size", "4096"])
        #expect(output.status == 4, "\(output.standardOutput)")
        #expect(output.standardOutput.contains("the image's own run stopped with exception #PF"), "\(output.standardOutput)")
        #expect(!output.standardOutput.contains("current: OK"))
    }
}
