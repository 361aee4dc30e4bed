import Foundation
import Testing

/// `kstep run` and `kstep trace` with --break and --watch.
@Suite struct BreakAndWatchTests {
    static let image = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Images/switch_to/switch_to.elf").path

    private func json(_ text: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
    }

    @Test func breakStopsBeforeTheSymbolsInstruction() throws {
        let output = try KstepProcess.run(["run", Self.image, "--break", "general_protection", "--break", "__switch_to",
                                           "--final", "json"])
        #expect(output.status == 0)
        let stop = try json(output.standardOutput)["stop"] as? [String: Any]
        #expect(stop?["reason"] as? String == "breakpoint")
        #expect(stop?["symbol"] as? String == "__switch_to")
        #expect(stop?["address"] as? String == stop?["eip"] as? String)
        let text = try KstepProcess.run(["run", Self.image, "--break", "general_protection"])
        #expect(text.standardOutput.contains("stopped: breakpoint at 0xc0100071 <general_protection>"))
    }

    @Test func watchStopsAfterTheWriteWithOldAndNewBytes() throws {
        let output = try KstepProcess.run(["run", Self.image, "--watch", "a_task+484", "--final", "json"])
        #expect(output.status == 0)
        let parsed = try json(output.standardOutput)
        let stop = parsed["stop"] as? [String: Any]
        let watch = stop?["watch"] as? [String: Any]
        #expect(stop?["reason"] as? String == "watchpoint")
        #expect(watch?["address"] as? String == "0xc0101a84")
        #expect(watch?["length"] as? Int == 4)
        #expect(watch?["old"] as? String == "00000000")
        // switch_to's `movl %esp,484(prev)` saved A's esp: the new bytes are esp then.
        let registers = parsed["registers"] as? [String: Any]
        let esp = UInt32((registers?["esp"] as? String ?? "").dropFirst(2), radix: 16) ?? 0
        let bytes = (0..<4).map { String(format: "%02x", (esp >> (8 * UInt32($0))) & 0xFF) }.joined()
        #expect(watch?["new"] as? String == bytes)
        let text = try KstepProcess.run(["run", Self.image, "--watch", "a_task+484:4"])
        #expect(text.standardOutput.contains("written by 0xc0100cea: movl %esp, 0x1e4(%ebp)"))
    }

    @Test func traceStopsAtABreakpointAndBadValuesAreErrors() throws {
        let trace = try KstepProcess.run(["trace", Self.image, "--break", "__switch_to", "--format", "jsonl"])
        #expect(trace.status == 0)
        let lines = trace.standardOutput.split(separator: "\n")
        // The last instruction record is the jmp; the stop record after it names the breakpoint.
        #expect(lines.dropLast().last?.contains("\"asm\":\"jmp 0xc0100260") == true)
        #expect(lines.last?.contains("\"reason\":\"breakpoint\"") == true)
        #expect(lines.last?.contains("\"address\":\"0xc0100260\"") == true)
        let bad = try KstepProcess.run(["run", Self.image, "--watch", "a_task:0"])
        #expect(bad.status == 2)
        #expect(bad.standardError.contains("--watch"))
        let unknown = try KstepProcess.run(["run", Self.image, "--break", "no_such_symbol"])
        #expect(unknown.status == 2)
        #expect(unknown.standardError.contains("--break: 'no_such_symbol'"))
    }
}
