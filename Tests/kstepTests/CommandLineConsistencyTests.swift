import Foundation
import Testing

/// Issue 16, item 7: every command speaks the same way about options, exit
/// statuses, output errors, registers and how a trace ends.
@Suite struct CommandLineConsistencyTests {
    @Test func unknownOptionsAreReportedAsUnknownOptions() throws {
        let output = try KstepProcess.run(["run", "--asm", "nop", "--bogus", "5"])
        #expect(output.status == 2)
        #expect(output.standardError.contains("Unknown option '--bogus'"), "\(output.standardError)")
        #expect(!output.standardError.contains("give exactly one input"))
    }

    @Test(arguments: [
        ["run", "--asm", "nop", "--max-steps", "abc"],
        ["trace", "--asm", "nop", "--thread-size", "1000"],
        ["run", "--hex", "90", "--asm", "nop"],
        ["trace", "--asm", "nop", "--format", "xml"],
    ])
    func badValuesExitWithStatusTwo(arguments: [String]) throws {
        let output = try KstepProcess.run(arguments)
        #expect(output.status == 2, "\(output.standardError)")
        #expect(!output.standardError.isEmpty)
    }

    @Test func writingToAFullDeviceFails() throws {
        let full = try #require(FileHandle(forWritingAtPath: "/dev/full"))
        for arguments in [["run", "--asm", "nop"], ["trace", "--asm", "nop"], ["disasm", "--hex", "90"]] {
            let status = try KstepProcess.status(arguments, standardOutput: full)
            #expect(status != 0, "\(arguments)")
        }
    }

    @Test func versionIsPrinted() throws {
        let output = try KstepProcess.run(["--version"])
        #expect(output.status == 0)
        #expect(output.standardOutput.hasPrefix("kstep "), "\(output.standardOutput)")
    }

    @Test func oneInstructionIsSingular() throws {
        let output = try KstepProcess.run(["run", "--asm", "nop"])
        #expect(output.standardOutput.contains("after 1 instruction\n"), "\(output.standardOutput)")
        let two = try KstepProcess.run(["run", "--asm", "nop; nop"])
        #expect(two.standardOutput.contains("after 2 instructions\n"))
    }

    @Test func jsonlEndsWithAStopRecord() throws {
        let output = try KstepProcess.run(["trace", "--format", "jsonl", "--asm", "nop; hlt"])
        #expect(output.status == 0)
        let lines = output.standardOutput.split(separator: "\n")
        #expect(lines.count == 3)
        let last = try #require(try JSONSerialization.jsonObject(with: Data((lines.last ?? "").utf8)) as? [String: Any])
        let stop = try #require(last["stop"] as? [String: Any])
        #expect(stop["reason"] as? String == "hlt")
        #expect(stop["symbol"] != nil)
        #expect(last["steps"] as? Int == 2)
    }

    @Test func jsonlStopRecordOfAnExceptionAndOfAStepLimit() throws {
        let fault = try KstepProcess.run(["trace", "--format", "jsonl", "--asm", "movl 0x50000000, %eax"])
        #expect(fault.status == 1)
        let last = String(fault.standardOutput.split(separator: "\n").last ?? "")
        #expect(last.hasPrefix("{\"stop\":{\"reason\":\"exception\""), "\(last)")
        #expect(last.contains("\"exception\":\"#PF\""))
        let loop = try KstepProcess.run(["trace", "--format", "jsonl", "--asm", "1: jmp 1b", "--max-steps", "3"])
        #expect(loop.status == 3)
        #expect(loop.standardOutput.split(separator: "\n").last?.contains("\"reason\":\"step-limit\"") == true)
    }

    @Test(arguments: ["tenet", "qemu"])
    func otherFormatsOnStandardOutputStateTheStopOnStandardError(format: String) throws {
        let output = try KstepProcess.run(["trace", "--format", format, "--asm", "nop; hlt"])
        #expect(output.status == 0)
        #expect(output.standardError.contains("stopped: hlt at 0x"), "\(output.standardError)")
        #expect(!output.standardOutput.contains("stopped:"))
    }

    @Test func segmentRegistersHaveOneFormatEverywhere() throws {
        let json = try KstepProcess.run(["run", "--asm", "nop", "--final", "json"]).standardOutput
        #expect(json.contains("\"cs\": \"0x00000060\""), "\(json)")
        let summary = try KstepProcess.run(["run", "--asm", "nop"]).standardOutput
        #expect(summary.contains("cs=0x00000060 ds=0x00000068"), "\(summary)")
        let trace = try KstepProcess.run(["trace", "--format", "jsonl", "--asm", "nop"]).standardOutput
        #expect(trace.contains("\"cs\":\"0x00000060\""))
    }

    @Test func textMemoryWritesAreValuesOfTheirSize() throws {
        let output = try KstepProcess.run(["trace", "--no-color", "--asm",
                                           "pushl $0xc010002a; movw $0x1234,(%esp); movb $1,(%esp)"])
        let lines = output.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines[0].hasSuffix("[015fbff8]4:00000000->c010002a"), "\(lines[0])")
        #expect(lines[2].hasSuffix("[015fbff8]2:002a->1234"), "\(lines[2])")
        #expect(lines[3].hasSuffix("[015fbff8]1:34->01"), "\(lines[3])")
    }

    @Test func traceHasADefaultRecordLimitAndWarnsWhenItTruncates() throws {
        let output = try KstepProcess.run(["trace", "--format", "jsonl", "--no-mem", "--asm", "1: jmp 1b",
                                           "--max-steps", "1000005"])
        #expect(output.status == 3)
        let lines = output.standardOutput.split(separator: "\n")
        #expect(lines.count == 1_000_001)  // the records, then the stop record
        #expect(output.standardError.contains("trace truncated after 1000000 records"), "\(output.standardError)")
        let small = try KstepProcess.run(["trace", "--format", "jsonl", "--asm", "1: jmp 1b", "--max-steps", "10",
                                          "--limit", "4"])
        #expect(small.standardOutput.split(separator: "\n").count == 5)
        #expect(small.standardError.contains("trace truncated after 4 records (--limit"))
        let unlimited = try KstepProcess.run(["trace", "--format", "jsonl", "--asm", "1: jmp 1b", "--max-steps", "10",
                                              "--limit", "none"])
        #expect(unlimited.standardOutput.split(separator: "\n").count == 11)
        #expect(!unlimited.standardError.contains("truncated"))
    }

    @Test func noColorIsHonouredOnATerminal() throws {
        let kstep = KstepProcess.executable.path
        func onTerminal(_ environment: String) throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
            process.arguments = ["-qec", "\(environment) \(kstep) trace --asm nop", "/dev/null"]
            let out = Pipe()
            process.standardOutput = out
            process.standardInput = FileHandle.nullDevice
            try process.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }
        #expect(try onTerminal("env -u NO_COLOR").contains("\u{1B}["))
        #expect(try !onTerminal("env NO_COLOR=1").contains("\u{1B}["))
    }
}

/// Issue 16, item 4: the stop names the instruction that stopped.
@Suite struct StopPlaceTests {
    @Test func hltIsNamedByItsOwnAddress() throws {
        let output = try KstepProcess.run(["run", TraceCommandTests.switchImage])
        #expect(output.standardOutput.hasPrefix("stopped: hlt at 0xc0100029 <_start+0x29> after 11487 instructions"),
                "\(output.standardOutput)")
        #expect(output.standardOutput.contains("eip=0xc010002a"))  // the register: hlt has retired
        let json = try KstepProcess.run(["run", "--asm", "nop; hlt", "--final", "json"]).standardOutput
        #expect(json.hasPrefix("{\"stop\": {\"reason\": \"hlt\", \"eip\": \"0x00100001\", \"symbol\": \"_start+0x1\"}"), "\(json)")
        #expect(json.contains("\"eip\": \"0x00100002\""))
        let trace = try KstepProcess.run(["trace", "--format", "jsonl", "--asm", "nop; hlt"]).standardOutput
        #expect(trace.hasSuffix("{\"stop\":{\"reason\":\"hlt\",\"eip\":\"0x00100001\",\"symbol\":\"_start+0x1\"},\"steps\":2}\n"))
    }
}

/// Issue 16, item 4: a run that stops for an exception explains it.
@Suite struct ErrorExplanationTests {
    @Test func int80WithNoIDTSaysSo() throws {
        let output = try KstepProcess.run(["run", "--asm", "movl $1,%eax; int $0x80"])
        #expect(output.status == 1)
        let text = output.standardOutput
        #expect(text.contains("stopped: exception #GP (General Protection) error code 0x402 at 0x00100005 <_start+0x5>"), "\(text)")
        #expect(text.contains("instruction: int $0x80 (cd 80)"), "\(text)")
        #expect(text.contains("cause: vector 0x80 in the IDT: no IDT loaded (IDTR limit 0)"), "\(text)")
        #expect(text.contains("Linux system call"), "\(text)")
        let json = try KstepProcess.run(["run", "--asm", "movl $1,%eax; int $0x80", "--final", "json"]).standardOutput
        #expect(json.contains("\"name\": \"General Protection\""), "\(json)")
        #expect(json.contains("\"cause\": \"vector 0x80 in the IDT: no IDT loaded (IDTR limit 0)\""))
        #expect(json.contains("\"instruction\": \"int $0x80\", \"bytes\": \"cd80\""), "\(json)")
    }

    @Test func pageFaultNamesTheAccess() throws {
        let output = try KstepProcess.run(["run", "--asm", "movl $5, 0x50000000"])
        #expect(output.standardOutput.contains("cause: write of linear address 0x50000000 in supervisor mode: page not present"),
                "\(output.standardOutput)")
        #expect(output.standardOutput.contains("instruction: movl $5, 0x50000000 (c7 05 00 00 00 50 05 00 00 00)"))
    }

    @Test func traceShowsTheFaultingInstruction() throws {
        let text = try KstepProcess.run(["trace", "--no-color", "--asm", "nop; ud2"]).standardOutput
        #expect(text.contains("-- #UD (Invalid Opcode)"), "\(text)")
        #expect(text.contains("ud2 (0f 0b)"), "\(text)")
        let json = try KstepProcess.run(["trace", "--format", "jsonl", "--asm", "nop; ud2"]).standardOutput
        let lines = json.split(separator: "\n")
        #expect(lines[1].contains("\"instruction\":\"ud2\",\"bytes\":\"0f0b\"}"), "\(lines[1])")
    }

    @Test func aTripleFaultShowsItsChain() throws {
        // An IDT whose every gate points at an unmapped handler: #PF, then #DF, then the triple fault.
        let output = try KstepProcess.run(["run", "--final", "json", "--asm", """
            lidt idt_descriptor; movl 0x50000000, %eax; hlt
            idt_descriptor: .word 0x7ff; .long 0x60000000
            """])
        #expect(output.status == 1)
        #expect(output.standardOutput.contains("\"reason\": \"triple-fault\""), "\(output.standardOutput)")
        #expect(output.standardOutput.contains("\"chain\": [\"#PF"), "\(output.standardOutput)")
        let summary = try KstepProcess.run(["run", "--asm", """
            lidt idt_descriptor; movl 0x50000000, %eax; hlt
            idt_descriptor: .word 0x7ff; .long 0x60000000
            """]).standardOutput
        #expect(summary.contains("chain: #PF"), "\(summary)")
        #expect(summary.contains("-> #DF"), "\(summary)")
    }

    @Test func aDynamicallyLinkedProgramIsNamedAsOne() throws {
        let source = FileManager.default.temporaryDirectory.appendingPathComponent("kstep-user-\(UUID().uuidString).s")
        defer { try? FileManager.default.removeItem(at: source) }
        try """
            .section .interp, "a"
            .asciz "/lib/ld-linux.so.2"
            .text
            .globl _start
            _start: movl $1, %eax; int $0x80
            """.write(to: source, atomically: true, encoding: .utf8)
        let output = try KstepProcess.run(["run", source.path])
        #expect(output.standardError.contains("Linux user program"), "\(output.standardError)")
    }
}

/// Issue 16, item 6: `kstep test --update-golden` writes a golden trace that does not exist yet.
@Suite struct GoldenCreationTests {
    @Test func updateGoldenCreatesAMissingGoldenTrace() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kstep-golden-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = URL(fileURLWithPath: TraceCommandTests.switchImage).deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("current/current_8k.elf")
        try FileManager.default.copyItem(at: source, to: directory.appendingPathComponent("probe.elf"))
        try "{\"stop\": \"hlt\", \"golden\": true}".write(to: directory.appendingPathComponent("probe.expect.json"),
                                                         atomically: true, encoding: .utf8)
        let missing = try KstepProcess.run(["test", directory.path])
        #expect(missing.status == 4)
        #expect(missing.standardOutput.contains("golden trace probe.golden.jsonl is missing"), "\(missing.standardOutput)")
        let update = try KstepProcess.run(["test", "--update-golden", directory.path])
        #expect(update.status == 0, "\(update.standardOutput)")
        let golden = directory.appendingPathComponent("probe.golden.jsonl")
        #expect(FileManager.default.fileExists(atPath: golden.path))
        let again = try KstepProcess.run(["test", directory.path])
        #expect(again.status == 0, "\(again.standardOutput)")
    }
}

/// Issue 16, item 5: with paging off, RAM the input maps is readable, writable and executable.
@Suite struct MemoryIsMemoryTests {
    @Test func aSnippetModifiesItself() throws {
        let output = try KstepProcess.run(["run", "--asm", "movb $0x90,1f; 1: hlt; hlt", "--final", "json"])
        #expect(output.status == 0, "\(output.standardOutput)")
        #expect(output.standardOutput.contains("\"reason\": \"hlt\", \"eip\": \"0x00100008\""), "\(output.standardOutput)")
        #expect(output.standardOutput.contains("\"steps\": 3"))
    }

    @Test func codeWrittenIntoMappedMemoryRuns() throws {
        let output = try KstepProcess.run(["run", "--map", "0x400000:0x1000", "--final", "json", "--asm",
                                           "movl $0xf4c3c031, 0x400000; call 0x400000; movl $7, %ebx; hlt"])
        #expect(output.status == 0, "\(output.standardOutput)")
        #expect(output.standardOutput.contains("\"ebx\": \"0x00000007\""), "\(output.standardOutput)")
    }

    @Test func anELFsReadOnlyTextIsWritableWithPagingOff() throws {
        let source = FileManager.default.temporaryDirectory.appendingPathComponent("kstep-smc-\(UUID().uuidString).s")
        defer { try? FileManager.default.removeItem(at: source) }
        try """
            .text
            .globl _start
            _start: movb $0x40, patch   # inc %eax
            patch: nop
            hlt
            """.write(to: source, atomically: true, encoding: .utf8)
        let output = try KstepProcess.run(["run", source.path, "--final", "json"])
        #expect(output.status == 0, "\(output.standardOutput)")
        #expect(output.standardOutput.contains("\"eax\": \"0x00000001\""), "\(output.standardOutput)")
    }

    @Test func theDefaultStackIsExecutable() throws {
        let output = try KstepProcess.run(["run", "--final", "json", "--asm",
                                           "pushl $0x90c3c031; pushl $0x90909090; call *%esp; hlt", "--set", "esp=0x015fb000"])
        #expect(output.status == 0, "\(output.standardOutput)")
    }
}

/// Issue 16, item 8: the default environment is linkable, and has a 4 KB variant.
@Suite struct DefaultEnvironmentTests {
    static func json(_ arguments: [String]) throws -> (status: Int32, text: String) {
        let output = try KstepProcess.run(["run", "--final", "json"] + arguments)
        return (output.status, output.standardOutput + output.standardError)
    }

    @Test func snippetsCanNameTheEnvironmentsSymbols() throws {
        let (status, text) = try Self.json(["--asm", "movl $init_task,%eax; movl $init_thread_union,%ecx; "
                                            + "movl $init_tss,%edx; movl $cpu_gdt_table,%ebx; hlt"])
        #expect(status == 0, "\(text)")
        #expect(text.contains("\"eax\": \"0x00011000\", \"ecx\": \"0x015fa000\", \"edx\": \"0x00010800\", \"ebx\": \"0x00010000\""),
                "\(text)")
    }

    @Test func theReadmesCurrentSnippetWorksWithTheDefaultStack() throws {
        let (status, text) = try Self.json(["--asm", "movl $0xffffe000,%ecx; andl %esp,%ecx; movl (%ecx),%eax; hlt"])
        #expect(status == 0, "\(text)")
        #expect(text.contains("\"eax\": \"0x00011000\", \"ecx\": \"0x015fa000\""), "\(text)")
        #expect(text.contains("\"esp\": \"0x015fbffc\""), "\(text)")
    }

    @Test func aFourKilobyteEnvironment() throws {
        let (status, text) = try Self.json(["--thread-size", "4096", "--dump", "init_tss+4:4", "--asm",
                                            "movl $0xfffff000,%ecx; andl %esp,%ecx; movl (%ecx),%eax; hlt"])
        #expect(status == 0, "\(text)")
        #expect(text.contains("\"eax\": \"0x00011000\", \"ecx\": \"0x015fa000\""), "\(text)")
        #expect(text.contains("\"esp\": \"0x015faffc\""), "\(text)")
        #expect(text.contains("\"hex\": \"00b05f01\""), "\(text)")  // esp0 = 0x015fb000, the 4 KB union's top
        let trace = try KstepProcess.run(["trace", "--thread-size", "4096", "--no-color", "--asm", "pushl %eax"])
        #expect(trace.standardOutput.contains("-- current: swapper (pid 0), task 00011000, thread_info 015fa000"),
                "\(trace.standardOutput)")
        let bad = try KstepProcess.run(["run", "--thread-size", "1234", "--asm", "nop"])
        #expect(bad.status == 2)
    }
}

/// Issue 16, item 7: `trace` accepts `--final json` and `--dump` as `run` does.
@Suite struct TraceFinalStateTests {
    @Test func traceTakesFinalJSONAndDump() throws {
        let output = try KstepProcess.run(["trace", "--no-color", "--asm", "movl $7, %eax; hlt", "--final", "json",
                                           "--dump", "init_task+12:8"])
        #expect(output.status == 0)
        let last = String(output.standardOutput.split(separator: "\n").last ?? "")
        #expect(last.hasPrefix("{\"stop\": {\"reason\": \"hlt\""), "\(output.standardOutput)")
        #expect(last.contains("\"eax\": \"0x00000007\""))
        #expect(last.contains("\"hex\": \"7377617070657200\""))
        let jsonl = try KstepProcess.run(["trace", "--format", "jsonl", "--asm", "hlt", "--final", "json"])
        #expect(jsonl.standardError.hasPrefix("{\"stop\": {\"reason\": \"hlt\""), "\(jsonl.standardError)")
    }
}
