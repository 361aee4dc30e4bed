import Foundation
import Testing

/// `kstep trace --kernel`: the Linux 2.6 profile's system calls, the choice of
/// profile, and xv6 booted far enough to switch to its first process.
@Suite struct KernelProfileTraceTests {
    static let xv6Kernel: String = {
        let directory = ProcessInfo.processInfo.environment["KSTEP_XV6_DIR"]
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/xv6").path
        return directory + "/kernelmemfs"
    }()

    @Test func linuxSystemCallsAreNamed() throws {
        let output = try KstepProcess.run(["trace", TraceCommandTests.switchImage, "--no-color"])
        #expect(output.status == 0)
        let lines = output.standardOutput.split(separator: "\n").map(String.init)
        let call = try #require(lines.firstIndex(of: "        -- syscall 20 (getpid)"))
        #expect(lines[call - 1].contains("int $0x80"))
        #expect(lines[call + 1] == "        -- privilege: CPL 3 -> 0")
        #expect(output.standardError.isEmpty)  // Linux 2.6 is the default, not detected
    }

    @Test func anUnknownKernelIsAnArgumentError() throws {
        let output = try KstepProcess.run(["trace", TraceCommandTests.switchImage, "--kernel", "minix"])
        #expect(output.status == 2)  // a bad option value, as for --thread-size
        #expect(output.standardError.contains("'minix'") && output.standardError.contains("linux26"))
    }

    @Test func anXV6ProfileNeedsTheKernelsDebugInformation() throws {
        let output = try KstepProcess.run(["trace", TraceCommandTests.switchImage, "--kernel", "xv6"])
        #expect(output.status == 2)
        #expect(output.standardError.hasPrefix("kstep: --kernel xv6: "))
        #expect(output.standardError.contains("no xv6 kernel profile: its debug information cannot be read"))
        #expect(output.standardError.contains("build it with -g"))
        #expect(output.standardError.split(separator: "\n").count == 1)
    }

    /// From switchuvm to the first exec (6.6 M instructions: about 3 s with a release
    /// build): the first process made current, its esp0, the switch from the
    /// scheduler, the iret to ring 3, `int $0x40` with exec's number.
    @Test func xv6BootsToItsFirstSwitchAndSystemCall() throws {
        guard FileManager.default.fileExists(atPath: Self.xv6Kernel) else {
            print("skipped: no xv6 kernel at \(Self.xv6Kernel) (set KSTEP_XV6_DIR)")
            return
        }
        guard let executable = KstepProcess.freshReleaseExecutable else {
            print("skipped: the xv6 boot trace needs a release kstep newer than the sources "
                  + "(swift build -c release --product kstep; Scripts/test builds it first)")
            return
        }
        let boot = ["trace", "--multiboot", Self.xv6Kernel, "--serial-input", "/dev/null", "--from", "switchuvm",
                    "--until", "sys_exec"]
        let text = try KstepProcess.run(boot + ["--limit", "470", "--no-color"], executable: executable)
        #expect(text.status == 0)
        #expect(text.standardError.contains("kstep: tracing with --kernel xv6"))
        let events = text.standardOutput.split(separator: "\n").filter { $0.hasPrefix("        --") }
        #expect(events.count == 3)
        #expect(events.first?.hasPrefix("        -- current: initcode (pid 1), proc ") == true)
        #expect(events.first?.hasSuffix(", RUNNABLE") == true)
        #expect(events.dropFirst().first?.hasPrefix("        -- tss.esp0 = ") == true)
        #expect(events.last == "        -- switch: scheduler -> initcode (esp moves to initcode's stack)")
        #expect(text.standardOutput.contains("stopped: until at "))

        let jsonl = try KstepProcess.run(boot + ["--kernel", "xv6", "--format", "jsonl", "--no-mem"], executable: executable)
        #expect(jsonl.status == 0)
        // Asked for, not detected: standard error has only the run's summary (JSONL keeps standard output).
        #expect(!jsonl.standardError.contains("tracing with --kernel"))
        #expect(jsonl.standardError.hasPrefix("stopped: until at "))
        let records = jsonl.standardOutput.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let kinds = records.flatMap { ($0["events"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String } }
            .filter { $0 != "segment-load" }
        #expect(kinds == ["current", "tss-esp0", "switch", "privilege", "syscall", "privilege"])
        let all = records.flatMap { $0["events"] as? [[String: Any]] ?? [] }
        let current = try #require(all.first)
        let esp0 = try #require(all.first { $0["kind"] as? String == "tss-esp0" })
        let kstack = try #require((current["kstack"] as? String).flatMap { UInt32($0.dropFirst(2), radix: 16) })
        #expect(esp0["value"] as? String == "0x" + String(kstack + 4096, radix: 16).leftPadded(8))
        let call = try #require(all.first { $0["kind"] as? String == "syscall" })
        #expect(call["number"] as? Int == 7 && call["name"] as? String == "exec")
        let switchRecord = try #require(records.first { ($0["events"] as? [[String: Any]])?.first?["kind"] as? String == "switch" })
        #expect(switchRecord["sym"] as? String == "swtch+0xe" && switchRecord["asm"] as? String == "movl %edx, %esp")
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
