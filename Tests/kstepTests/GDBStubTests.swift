import Foundation
import Testing

/// Debian's gdb, where it is installed.
let installedGDB: URL? = ["/usr/bin/gdb", "/usr/local/bin/gdb"].map(URL.init(fileURLWithPath:))
    .first { FileManager.default.isExecutableFile(atPath: $0.path) }

/// The real gdb (Debian's, in batch mode) against `kstep gdb`, on the
/// switch_to image and on snippets: registers at entry, stepi against
/// `kstep trace`, breakpoints, a watchpoint in switch_to, memory and
/// register round trips, Ctrl-C, `monitor current` against the trace,
/// reverse-stepi to the initial state, reverse-continue, kill and detach.
/// Every wait is bounded and every process is ended.
@Suite(.serialized, .enabled(if: installedGDB != nil, "gdb is not installed (Scripts/setup installs it)"))
struct GDBStubTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let switchTo = root.appendingPathComponent("Images/switch_to/switch_to.elf").path
    static var gdb: URL? { installedGDB }

    /// A snippet with a loop, a call and memory traffic.
    static let snippet = """
        movl $6, %ecx
    1:  pushl %ecx
        addl %ecx, %eax
        call 2f
        popl %edx
        loop 1b
        movl %eax, %ebx
        hlt
    2:  xorl $0x5a5a, %esi
        ret
    """

    /// `kstep gdb ARGUMENTS --port 0`, once it listens, and its port.
    static func startStub(_ arguments: [String]) throws -> (ChildProcess, UInt16) {
        let stub = try ChildProcess(KstepProcess.executable, ["gdb"] + arguments + ["--port", "0"])
        var port: UInt16?
        stub.wait(seconds: 30) {
            guard let line = stub.standardError.split(separator: "\n").first(where: { $0.hasPrefix("listening on 127.0.0.1:") }),
                  let value = UInt16(line.split(separator: ":").last ?? "") else { return false }
            port = value
            return true
        }
        guard let port else {
            stub.stop()
            throw StubError(message: "kstep gdb did not listen: \(stub.standardError)")
        }
        return (stub, port)
    }

    struct StubError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// What a script echoes just before a `continue` that `whileRunning` interrupts
    /// (batch mode does not print `Continuing.`).
    static let runningMark = "KSTEP-CONTINUING"

    /// Runs gdb in batch mode: connects, runs `commands` (a gdb script),
    /// returns everything it printed, standard output and standard error in
    /// the order printed (gdb prints `monitor` output on standard error).
    /// `whileRunning` gets the gdb process once it printed `runningMark`
    /// (to send it a Ctrl-C).
    static func runGDB(port: UInt16, file: String?, _ commands: String, timeout: Double = 120,
                       whileRunning: ((ChildProcess) -> Void)? = nil) throws -> String {
        guard let gdb else { return "" }
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("kstep-gdb-\(UUID().uuidString).gdb")
        try ("set pagination off\nset confirm off\nset width 0\ntarget remote :\(port)\n" + commands + "\n")
            .write(to: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: script) }
        let process = try ChildProcess(gdb, ["-batch", "-nx", "-q", "-x", script.path] + (file.map { [$0] } ?? []),
                                       mergingErrors: true)
        defer { process.stop() }
        if let whileRunning {
            let marked = process.wait(seconds: timeout) { process.standardOutput.contains(runningMark) || !process.isRunning }
            #expect(marked, "gdb did not get to the continue: \(process.standardOutput)")
            whileRunning(process)
        }
        let finished = process.waitForExit(seconds: timeout)
        #expect(finished, "gdb did not finish within \(timeout) s: \(process.standardOutput)")
        return process.standardOutput
    }

    /// `name value` pairs of `info registers` output.
    static func registers(in output: String) -> [String: UInt64] {
        var values: [String: UInt64] = [:]
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2, fields[1].hasPrefix("0x"), let value = UInt64(fields[1].dropFirst(2), radix: 16) else { continue }
            values[String(fields[0])] = value
        }
        return values
    }

    /// The trace's records as dictionaries.
    static func trace(_ arguments: [String]) throws -> [[String: Any]] {
        let output = try KstepProcess.run(["trace"] + arguments + ["--format", "jsonl"])
        return output.standardOutput.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    static func hex(_ text: Any?) -> UInt64? {
        guard let text = text as? String, text.hasPrefix("0x") else { return nil }
        return UInt64(text.dropFirst(2), radix: 16)
    }

    @Test func registersAtEntryAreKstepRunsInitialState() throws {
        let (stub, port) = try Self.startStub([Self.switchTo])
        defer { stub.stop() }
        let output = try Self.runGDB(port: port, file: Self.switchTo, "info registers\nkill")
        let gdbRegisters = Self.registers(in: output)
        let initial = try KstepProcess.run(["run", Self.switchTo, "--max-steps", "0", "--final", "json"])
        let json = try JSONSerialization.jsonObject(with: Data(initial.standardOutput.utf8)) as? [String: Any]
        let expected = json?["registers"] as? [String: Any] ?? [:]
        #expect(expected.count >= 16)
        for (name, value) in expected {
            #expect(gdbRegisters[name] == Self.hex(value), "\(name)")
        }
        #expect(output.contains("<architecture>") == false)
        #expect(gdbRegisters["cr0"] != nil && gdbRegisters["gdtr_base"] != nil)
        #expect(stub.waitForExit(seconds: 10), "the stub is still running after kill")
    }

    @Test(arguments: ["switch_to", "snippet"])
    func stepiMatchesTheTraceAfterEveryStep(_ input: String) throws {
        let arguments: [String]
        var file: String?
        if input == "snippet" {
            arguments = ["--asm", Self.snippet]
        } else {
            arguments = [Self.switchTo]
            file = Self.switchTo
        }
        // A record's regs are what its instruction changed, eip aside: the next record's eip is where it went.
        let records = try Self.trace(arguments + ["--max-steps", "300"]).filter { $0["regs"] != nil }
        #expect(records.count >= 40)
        let steps = records.count - 1
        let (stub, port) = try Self.startStub(arguments)
        defer { stub.stop() }
        let names = ["eip", "eflags", "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "cs", "ss", "ds", "es", "fs", "gs"]
        let output = try Self.runGDB(port: port, file: file, """
            set $i = 0
            while $i < \(steps)
              stepi
              printf "STEP \(names.map { _ in "%x" }.joined(separator: " "))\\n", \(names.map { "$" + $0 }.joined(separator: ", "))
              set $i = $i + 1
            end
            kill
            """)
        let lines = output.split(separator: "\n").filter { $0.hasPrefix("STEP ") }
        #expect(lines.count == steps)
        var state: [String: UInt64] = [:]
        for (index, line) in lines.prefix(steps).enumerated() {
            for (name, value) in records[index]["regs"] as? [String: Any] ?? [:] { state[name] = Self.hex(value) }
            state["eip"] = Self.hex(records[index + 1]["eip"])
            let values = line.split(separator: " ").dropFirst().map { UInt64($0, radix: 16) }
            let expected = names.map { state[$0] }
            guard values == expected else {
                Issue.record("step \(index + 1): gdb \(line), trace \(zip(names, expected).map { "\($0)=\(String($1 ?? 0, radix: 16))" })")
                break
            }
        }
        #expect(stub.waitForExit(seconds: 10))
    }

    @Test func breakAtSwitchToStopsWhereTheTraceSaysAndReverseContinueGoesBack() throws {
        let records = try Self.trace([Self.switchTo])
        let address: UInt64 = 0xC010_0260  // __switch_to
        let hits = records.filter { Self.hex($0["eip"]) == address && $0["regs"] != nil }.compactMap { $0["step"] as? Int }
        #expect(hits.count == 3)
        let (stub, port) = try Self.startStub([Self.switchTo])
        defer { stub.stop() }
        let output = try Self.runGDB(port: port, file: Self.switchTo, """
            break __switch_to
            continue
            monitor steps
            continue
            monitor steps
            continue
            continue
            monitor steps
            reverse-continue
            monitor steps
            info registers eip
            kill
            """)
        #expect(output.components(separatedBy: "Breakpoint 1, 0xc0100260 in __switch_to").count - 1 == 4)
        // Between the second and third switch, B -> C's fs load faults (#GP, fixed up by __ex_table): a stop of its own.
        #expect(output.contains("Program received signal SIGSEGV, Segmentation fault.\n0xc01003a2 in __switch_to"))
        let counts = output.split(separator: "\n").filter { $0.contains("instructions retired") }
            .compactMap { Int($0.split(separator: " ").first ?? "") }
        #expect(counts == [hits[0] - 1, hits[1] - 1, hits[2] - 1, hits[1] - 1])
        #expect(Self.registers(in: output)["eip"] == address)
        #expect(stub.waitForExit(seconds: 10))
    }

    @Test func guestExceptionStopsWithItsSignalAndReverseStepiLeavesTheHandler() throws {
        let (stub, port) = try Self.startStub([Self.switchTo])
        defer { stub.stop() }
        let output = try Self.runGDB(port: port, file: Self.switchTo, """
            break general_protection
            continue
            x/i $pc
            continue
            info registers eip
            reverse-stepi
            x/i $pc
            kill
            """)
        // Caught before delivery: the faulting instruction, switch_to's load of next's fs.
        #expect(output.contains("kstep: caught #GP error code 0x1234 at 0xc01003a2 <__switch_to+322>; continue delivers it"))
        #expect(output.contains("Program received signal SIGSEGV, Segmentation fault."))
        let instructions = output.split(separator: "\n").filter { $0.hasPrefix("=> 0x") }
        #expect(instructions.count == 2)
        #expect(instructions.allSatisfy { $0.contains("0xc01003a2 <__switch_to+322>:\tmov    0x1e8(%edx),%fs") })
        // Continuing delivers it: the handler's first instruction; one step back is the fault again.
        #expect(output.contains("Breakpoint 1, 0xc0100071 in general_protection"))
        #expect(Self.registers(in: output)["eip"] == 0xC010_0071)
        #expect(stub.waitForExit(seconds: 10))
    }

    @Test func watchOnAThreadESPStopsInSwitchTo() throws {
        let (stub, port) = try Self.startStub([Self.switchTo])
        defer { stub.stop() }
        let output = try Self.runGDB(port: port, file: Self.switchTo, """
            watch *(int *)((char *)&a_task + 484)
            continue
            reverse-stepi
            x/i $pc
            stepi
            printf "VALUE %x ESP %x\\n", *(int *)((char *)&a_task + 484), $esp
            kill
            """)
        #expect(output.contains("Hardware watchpoint 1"))
        #expect(output.contains("Old value = 0"))
        // Back one step: the instruction that wrote it, switch_to's save of prev's esp.
        let instruction = output.split(separator: "\n").first { $0.contains("=> 0x") } ?? ""
        #expect(instruction.contains("mov    %esp,0x1e4(%"), "\(instruction)")
        let values = output.split(separator: "\n").first { $0.hasPrefix("VALUE ") }?.split(separator: " ") ?? []
        #expect(values.count == 4 && values[1] == values[3])
        #expect(stub.waitForExit(seconds: 10))
    }

    @Test func memoryAndRegisterRoundTrips() throws {
        let (stub, port) = try Self.startStub([Self.switchTo])
        defer { stub.stop() }
        let output = try Self.runGDB(port: port, file: Self.switchTo, """
            x/4xw &init_tss
            set var *(int *)&fixups = 0x12345678
            x/1xw &fixups
            set var *(char *)((char *)&fixups + 1) = 0x5a
            x/4xb &fixups
            set $ecx = 0xcafef00d
            set $esi = 0x11
            p/x $ecx
            stepi
            p/x $ecx
            p/x $esi
            set $fs = 0x68
            p $fs
            p/x $fctrl
            x/2i $pc
            kill
            """)
        #expect(output.contains("0x12345678"))
        #expect(output.contains("0x78\t0x5a\t0x34\t0x12"))
        #expect(output.components(separatedBy: "$1 = 0xcafef00d").count == 2)
        #expect(output.contains("$2 = 0xcafef00d"))  // lgdt leaves ecx alone
        #expect(output.contains("$3 = 0x11"))
        #expect(output.contains("$4 = 104"))
        #expect(output.contains("=> 0xc0100007 <_start+7>:\tljmp   $0x60,$0xc010000e"))
        #expect(stub.waitForExit(seconds: 10))
    }

    @Test func ctrlCInterruptsAnInfiniteLoop() throws {
        let (stub, port) = try Self.startStub(["--asm", "loop: incl %eax; jmp loop"])
        defer { stub.stop() }
        // gdb turns the SIGINT into the interrupt byte only while the target runs: wait a second into the continue.
        let output = try Self.runGDB(port: port, file: nil, "echo \(Self.runningMark)\\n\ncontinue\ninfo registers eip eax\nkill",
                                     timeout: 60) { gdb in
            usleep(1_000_000)
            gdb.signal(SIGINT)
        }
        #expect(output.contains("Program received signal SIGINT"))
        let registers = Self.registers(in: output)
        #expect((registers["eax"] ?? 0) > 1000)
        #expect(registers["eip"] == 0x0010_0000 || registers["eip"] == 0x0010_0001)
        #expect(stub.waitForExit(seconds: 10))
    }

    @Test func monitorCurrentNamesTheTasksTheTraceNames() throws {
        let records = try Self.trace([Self.switchTo])
        guard let change = records.first(where: {
            ($0["events"] as? [[String: Any]])?.contains { $0["kind"] as? String == "current" } == true
        }), let event = (change["events"] as? [[String: Any]])?.first(where: { $0["kind"] as? String == "current" }),
              let address = Self.hex(change["eip"]), let comm = event["comm"] as? String, let pid = event["pid"] as? Int else {
            Issue.record("the trace names no current task")
            return
        }
        let (stub, port) = try Self.startStub([Self.switchTo])
        defer { stub.stop() }
        let output = try Self.runGDB(port: port, file: Self.switchTo, """
            break *0x\(String(address, radix: 16))
            continue
            monitor current
            stepi
            monitor current
            monitor tasks
            monitor stack
            kill
            """)
        let currents = output.split(separator: "\n").filter { $0.hasPrefix("current: ") }
        #expect(currents.count == 2)
        #expect(currents.first?.contains("comm \"\(comm)\"") == false)
        #expect(currents.last?.contains("pid \(pid) comm \"\(comm)\"") == true)
        #expect(output.contains("* ") && output.contains(" \(comm) "))
        #expect(stub.waitForExit(seconds: 10))
    }

    @Test func reverseStepiBackToTheExactInitialState() throws {
        let (stub, port) = try Self.startStub([Self.switchTo])
        defer { stub.stop() }
        let output = try Self.runGDB(port: port, file: Self.switchTo, """
            info all-registers
            x/32xw 0x15fbf80
            echo ===\\n
            stepi 400
            monitor steps
            set $i = 0
            while $i < 400
              reverse-stepi
              set $i = $i + 1
            end
            echo ===\\n
            info all-registers
            x/32xw 0x15fbf80
            monitor steps
            reverse-stepi
            kill
            """)
        let parts = output.components(separatedBy: "===\n")
        #expect(parts.count == 3)
        guard parts.count == 3 else { return }
        let before = parts[0].split(separator: "\n").filter { !$0.contains("in ") }
        let after = parts[2].split(separator: "\n").prefix(before.count)
        #expect(Array(after) == before)
        #expect(["eax", "eip", "eflags", "fctrl", "ftag", "cr0", "cr3", "gdtr_base", "idtr_limit", "tr"].allSatisfy {
            Self.registers(in: parts[0])[$0] != nil
        })
        #expect(parts[1].contains("400 instructions retired"))
        #expect(parts[2].contains("0 instructions retired"))
        #expect(parts[2].contains("No more reverse-execution history."))
        #expect(stub.waitForExit(seconds: 10))
    }

    /// A function with a frame gdb can unwind (ebp non-zero: gdb takes ebp 0 for the outermost frame).
    static let calling = """
        .globl _start, add_twice
    _start:
        movl $0x1000, %ebp
        movl $3, %eax
        call add_twice
        movl %eax, %ebx
        hlt
    add_twice:
        pushl %ebp
        movl %esp, %ebp
        addl %eax, %eax
        addl %eax, %eax
        popl %ebp
        ret
    """

    /// `as --32` and `ld -m elf_i386` of `source`, text at 0x00100000: the ELF both kstep and gdb read.
    static func link(_ source: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kstep-gdb-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let assembly = directory.appendingPathComponent("calling.s")
        try (source + "\n").write(to: assembly, atomically: true, encoding: .utf8)
        for arguments in [["as", "--32", "-o", "calling.o", "calling.s"],
                          ["ld", "-m", "elf_i386", "-Ttext", "0x100000", "-e", "_start", "-o", "calling.elf", "calling.o"]] {
            let tool = Process()
            tool.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            tool.arguments = arguments
            tool.currentDirectoryURL = directory
            try tool.run()
            tool.waitUntilExit()
            guard tool.terminationStatus == 0 else { throw StubError(message: "\(arguments[0]) failed") }
        }
        return directory.appendingPathComponent("calling.elf").path
    }

    @Test func reverseFinishGoesBackToTheCall() throws {
        let elf = try Self.link(Self.calling)
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: elf).deletingLastPathComponent().path) }
        let (stub, port) = try Self.startStub([elf])
        defer { stub.stop() }
        let output = try Self.runGDB(port: port, file: elf, """
            break *(add_twice + 5)
            continue
            delete
            bt
            printf "EAX %d\\n", $eax
            reverse-finish
            printf "EAX %d\\n", $eax
            x/i $pc
            monitor steps
            nexti
            printf "EAX %d\\n", $eax
            kill
            """)
        #expect(output.contains("#1  0x0010000f in _start ()"))
        // Back at the call, before it ran: eax as the caller left it; nexti runs the call again.
        #expect(output.contains("=> 0x10000a <_start+10>:\tcall   0x100012 <add_twice>"))
        #expect(output.contains("2 instructions retired"))
        let values = output.split(separator: "\n").filter { $0.hasPrefix("EAX ") }
        #expect(values == ["EAX 6", "EAX 3", "EAX 12"])
        #expect(stub.waitForExit(seconds: 10))
    }

    @Test func symbolsComeOverTheConnectionForASnippetAndAnImage() throws {
        for (arguments, place) in [(["--asm", "movl $3, %eax; call twice; hlt; twice: addl %eax, %eax; ret"], "twice"),
                                   ([Self.switchTo], "__switch_to")] {
            let (stub, port) = try Self.startStub(arguments)
            defer { stub.stop() }
            // No file for gdb: it reads the ELF kstep loaded (or assembled) through qXfer:exec-file and vFile.
            let output = try Self.runGDB(port: port, file: nil, "break \(place)\ncontinue\ninfo symbol $pc\nkill")
            #expect(output.contains("Reading symbols from target:"))
            #expect(output.contains("\(place) in section .text"), "\(output)")
            #expect(stub.waitForExit(seconds: 10))
        }
    }

    @Test func killAndDetachLeaveNoProcessBehind() throws {
        for ending in ["kill", "detach", "disconnect"] {
            let (stub, port) = try Self.startStub(["--asm", "nop; nop; hlt"])
            defer { stub.stop() }
            let output = try Self.runGDB(port: port, file: nil, "stepi\n" + ending)
            #expect(output.contains("0x00100001"))
            if ending == "disconnect" {
                // A disconnected debugger may come back: the stub waits; a second gdb kills it.
                #expect(stub.isRunning)
                _ = try Self.runGDB(port: port, file: nil, "kill")
            }
            #expect(stub.waitForExit(seconds: 10), "kstep gdb still runs after \(ending)")
            #expect(stub.standardError.contains(ending == "detach" ? "detached" : "killed"))
        }
    }
}
