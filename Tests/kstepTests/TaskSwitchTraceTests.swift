import Foundation
import Testing

/// `kstep trace` of hardware task switches: the `task-switch` event names the
/// old and new TSS (selector and base); ltr is not a switch.
@Suite struct TaskSwitchTraceTests {
    /// ltr makes task C (0x98) current without a switch; ljmp switches to B
    /// (0x90); B's #GP goes through an IDT task gate back to C, which resumes
    /// after its ljmp and halts.
    static let source = """
        .macro TSS_DESC selector, base
            movl $\\base, %eax
            shll $16, %eax
            orl $0x67, %eax
            movl %eax, 0x10000+\\selector
            movl $\\base, %eax
            movl %eax, %edx
            shrl $16, %eax
            andl $0xff, %eax
            andl $0xff000000, %edx
            orl %edx, %eax
            orl $0x8900, %eax
            movl %eax, 0x10000+\\selector+4
        .endm
            .text
            .globl _start
        _start:
            TSS_DESC 0x90, tss_b
            TSS_DESC 0x98, tss_c
            movl $(0x98 << 16), idt+13*8
            movl $0x8500, idt+13*8+4
            lidt idt_descriptor
            movw $0x98, %ax
            ltr %ax
            ljmp $0x90, $0
            hlt
        task_b:
            movw $0x1234, %ax
            movw %ax, %ds
            hlt
            .data
            .balign 8
        idt: .space 14*8
        idt_descriptor: .word 14*8-1
            .long idt
        tss_b:
            .long 0, 0, 0, 0, 0, 0, 0, 0, task_b, 2
            .long 0, 0, 0, 0, stack_b, 0, 0, 0
            .long 0x68, 0x60, 0x68, 0x68, 0, 0, 0, 0
        tss_c:
            .space 104
            .space 64
        stack_b:
        """

    static func trace(_ options: [String]) throws -> KstepProcess.Output {
        let path = try KstepProcess.temporaryFile(Array(source.utf8), suffix: ".s")
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try KstepProcess.run(["trace", path] + options)
    }

    @Test func jsonlShowsTheSwitchesButNotLtr() throws {
        let output = try Self.trace(["--format", "jsonl"])
        #expect(output.status == 0, "\(output.standardError)")
        let records = try output.standardOutput.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let switches = records.flatMap { record in
            ((record["events"] as? [[String: Any]]) ?? []).filter { $0["kind"] as? String == "task-switch" }
                .map { (record, $0) }
        }
        #expect(switches.count == 2)
        let ltr = try #require(records.first { ($0["asm"] as? String)?.hasPrefix("ltr") == true })
        #expect((ltr["events"] as? [Any])?.isEmpty == true)
        guard switches.count == 2 else { return }
        // The ljmp: from C (ltr's TSS) to B.
        let (jump, toB) = switches[0]
        #expect((jump["asm"] as? String)?.hasPrefix("ljmp") == true)
        #expect(toB["from"] as? String == "0x00000098")
        #expect(toB["to"] as? String == "0x00000090")
        let baseB = try #require(toB["to_base"] as? String)
        let baseC = try #require(toB["from_base"] as? String)
        #expect(baseB != baseC)
        // The #GP record: delivered through the task gate, from B back to C.
        let (fault, toC) = switches[1]
        let exception = try #require(fault["exception"] as? [String: Any])
        #expect(exception["name"] as? String == "#GP")
        #expect(exception["error_code"] as? String == "0x00001234")
        #expect(toC["from"] as? String == "0x00000090" && toC["from_base"] as? String == baseB)
        #expect(toC["to"] as? String == "0x00000098" && toC["to_base"] as? String == baseC)
    }

    @Test func textShowsTheSwitchUnderItsInstruction() throws {
        let output = try Self.trace(["--no-color"])
        #expect(output.status == 0, "\(output.standardError)")
        let lines = output.standardOutput.split(separator: "\n").map(String.init)
        let events = lines.filter { $0.contains("-- task switch: ") }
        #expect(events.count == 2)
        guard let jump = lines.firstIndex(where: { $0.contains("ljmp") }), events.count == 2 else { return }
        #expect(lines[jump + 1].hasPrefix("        -- task switch: TSS 0098 (base "))
        #expect(lines[jump + 1].contains(") -> 0090 (base "))
        let fault = try #require(lines.firstIndex { $0.contains("-- #GP (General Protection) error code 0x1234") })
        #expect(lines[fault + 1].hasPrefix("        -- task switch: TSS 0090 (base "))
        #expect(lines[fault + 1].contains(") -> 0098 (base "))
    }
}
