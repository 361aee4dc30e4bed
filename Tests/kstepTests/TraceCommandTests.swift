import Foundation
import Testing

/// `kstep trace` in every format, with its filters, run as a subprocess.
@Suite struct TraceCommandTests {
    static let snippet = ["--asm", "movl $0xffffe000,%ecx; andl %esp,%ecx; movl (%ecx),%eax; pushl %eax",
                          "--set", "esp=0x015fa878"]
    static let switchImage = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Images/switch_to/switch_to.elf").path

    @Test func textShowsOldAndNewValuesWritesAndCurrent() throws {
        let output = try KstepProcess.run(["trace", "--no-color"] + Self.snippet)
        #expect(output.status == 0)
        let lines = output.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("      1  00100000 <_start>"))
        #expect(lines[0].contains("b900e0ffff") && lines[0].contains("movl $0xffffe000, %ecx"))
        #expect(lines[0].hasSuffix("ecx=00000000->ffffe000"))
        #expect(lines[1] == "        -- current: swapper (pid 0), task 00011000, thread_info 015fa000")
        #expect(lines[2].hasSuffix("ecx=ffffe000->015fa000 eflags=00000002->00000006[PF]"))
        #expect(lines[4].hasSuffix("esp=015fa878->015fa874 [015fa874]4:00000000->00011000"))
        #expect(output.standardOutput.contains("stopped: end"))
    }

    @Test func jsonlRecordsFieldByField() throws {
        let output = try KstepProcess.run(["trace", "--format", "jsonl"] + Self.snippet)
        #expect(output.status == 0)
        let records = try output.standardOutput.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(records.count == 5)  // four instructions, then the stop record
        #expect(records[4]["stop"] != nil)
        let first = records[0]
        #expect(first["step"] as? Int == 1)
        #expect(first["eip"] as? String == "0x00100000")
        #expect(first["sym"] as? String == "_start")
        #expect(first["bytes"] as? String == "b900e0ffff")
        #expect(first["asm"] as? String == "movl $0xffffe000, %ecx")
        let firstRegs = try #require(first["regs"] as? [String: String])
        #expect(firstRegs.count == 26)  // the first record carries every register
        #expect(firstRegs["ecx"] == "0xffffe000" && firstRegs["esp"] == "0x015fa878" && firstRegs["eip"] == "0x00100005")
        let events = try #require(first["events"] as? [[String: Any]])
        #expect(events.first?["kind"] as? String == "current")
        #expect(events.first?["comm"] as? String == "swapper")
        #expect(records[1]["regs"] as? [String: String] == ["ecx": "0x015fa000", "eflags": "0x00000006"])
        #expect(records[2]["regs"] as? [String: String] == ["eax": "0x00011000"])
        let push = records[3]
        #expect(push["regs"] as? [String: String] == ["esp": "0x015fa874"])
        let memory = try #require((push["mem"] as? [[String: Any]])?.first)
        #expect(memory["addr"] as? String == "0x015fa874")
        #expect(memory["size"] as? Int == 4)
        #expect(memory["old"] as? String == "0x00000000")
        #expect(memory["new"] as? String == "0x00011000")
    }

    @Test func tenetLinesHaveDeltasEipLastAndMemory() throws {
        let output = try KstepProcess.run(["trace", "--format", "tenet"] + Self.snippet)
        #expect(output.status == 0)
        let lines = output.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines == [
            "eax=0x0,ebx=0x0,ecx=0x0,edx=0x0,ebp=0x0,esp=0x15fa878,esi=0x0,edi=0x0,eip=0x100000",
            "ecx=0xffffe000,eip=0x100005",
            "ecx=0x15fa000,eip=0x100007",
            "eax=0x11000,eip=0x100009,mr=0x15fa000:00100100",
            "esp=0x15fa874,eip=0x10000a,mw=0x15fa874:00100100",
        ])
    }

    @Test func qemuRegisterDumpBeforeEachInstruction() throws {
        let output = try KstepProcess.run(["trace", "--format", "qemu"] + Self.snippet)
        #expect(output.status == 0)
        let lines = output.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.count == 4 * 16)
        #expect(lines[0] == "EAX=00000000 EBX=00000000 ECX=00000000 EDX=00000000")
        #expect(lines[1] == "ESI=00000000 EDI=00000000 EBP=00000000 ESP=015fa878")
        #expect(lines[2] == "EIP=00100000 EFL=00000002 [-------] CPL=0 II=0 A20=1 SMM=0 HLT=0")
        #expect(lines[4] == "CS =0060 00000000 ffffffff 00c09a00")
        #expect(lines[10] == "TR =0080 00010800 00000468 00008b00")
        #expect(lines[11] == "GDT=     00010000 000000ff")
        #expect(lines[13] == "CR0=00000011 CR2=00000000 CR3=00000000 CR4=00000000")
        #expect(lines[16 + 2] == "EIP=00100005 EFL=00000002 [-------] CPL=0 II=0 A20=1 SMM=0 HLT=0")
        #expect(lines[16 * 2 + 2] == "EIP=00100007 EFL=00000006 [-----P-] CPL=0 II=0 A20=1 SMM=0 HLT=0")
    }

    @Test func switchToTraceNamesTheSwitchesAndEvents() throws {
        let output = try KstepProcess.run(["trace", Self.switchImage, "--no-color"])
        #expect(output.status == 0)
        let text = output.standardOutput
        #expect(text.contains("jmp 0xc0100260 <__switch_to>"))
        #expect(text.contains("-- switch: A -> B (esp moves to B's stack)"))
        #expect(text.contains("-- switch: B -> C (esp moves to C's stack)"))
        #expect(text.contains("-- switch: C -> A (esp moves to A's stack)"))
        #expect(text.contains("-- current: C (pid 3), task c0101020, thread_info 015fe000"))
        #expect(text.contains("-- tss.esp0 = 015fe000"))
        #expect(text.contains("-- privilege: CPL 0 -> 3"))
        #expect(text.contains("-- segment load: gs = 0033"))
        #expect(text.contains("-- #GP (General Protection) error code 0x1234 at c01003a2 <__switch_to+0x142>: movw 0x1e8(%edx), %fs (8e a2 e8 01 00 00), delivered to 0060:c0100071 <general_protection>"))
        #expect(text.contains("-- hlt"))
    }

    @Test func filtersSelectRecordsAndFields() throws {
        let only = try KstepProcess.run(["trace", Self.switchImage, "--format", "jsonl", "--only", "__switch_to", "--regs", "esp",
                                         "--no-mem", "--limit", "5"])
        #expect(only.status == 0)
        let records = only.standardOutput.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(records.count == 6)
        #expect(records.last?["stop"] != nil)
        let instructions = records.dropLast()
        #expect(instructions.allSatisfy { ($0["sym"] as? String)?.hasPrefix("__switch_to") == true })
        #expect(instructions.allSatisfy { ($0["mem"] as? [Any])?.isEmpty == true })
        #expect(instructions.allSatisfy { Set(($0["regs"] as? [String: String] ?? [:]).keys).isSubset(of: ["esp", "eip"]) })
        let from = try KstepProcess.run(["trace", Self.switchImage, "--format", "jsonl", "--from", "schedule_tail", "--limit", "1"])
        #expect(from.standardOutput.contains("\"sym\":\"schedule_tail\""))
        #expect(from.standardOutput.split(separator: "\n").count == 2)  // one record, the stop record
    }

    @Test func outputFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kstep-trace-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let output = try KstepProcess.run(["trace", "--format", "jsonl", "--output", path] + Self.snippet)
        #expect(output.status == 0)
        #expect(output.standardOutput.isEmpty)
        #expect(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").count == 5)
    }

    @Test(arguments: [
        (["--output", "/nonexistent/dir/trace.txt"], "--output: cannot write '/nonexistent/dir/trace.txt'"),
        (["--regs", "eax,exx"], "--regs: unknown register 'exx'"),
        (["--from", "nowhere"], "--from: 'nowhere' is not an address or a symbol"),
        (["--only", "nowhere"], "--only: 'nowhere' is not a symbol"),
        (["--until", "nowhere"], "--until: 'nowhere' is not an address or a symbol"),
    ])
    func badOptionsAreOneLine(extra: [String], message: String) throws {
        let output = try KstepProcess.run(["trace"] + Self.snippet + extra)
        #expect(output.status == 2)
        #expect(output.standardError.contains(message), "\(output.standardError)")
        #expect(output.standardError.split(separator: "\n").count == 1)
    }
}
