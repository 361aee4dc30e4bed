import Foundation
import Testing

/// `kstep run`, run as a subprocess.
@Suite struct RunCommandTests {
    @Test func currentMacroOnTheSeedsExample() throws {
        let output = try KstepProcess.run(["run", "--asm", "movl $0xffffe000,%ecx; andl %esp,%ecx",
                                           "--set", "esp=0x015fa878"])
        #expect(output.status == 0)
        #expect(output.standardOutput.contains("stopped: end"))
        #expect(output.standardOutput.contains("ecx=0x015fa000"))
        #expect(output.standardOutput.contains("esp=0x015fa878"))
    }

    /// The value of `"key": "…"` in a JSON text (the first occurrence).
    func field(_ key: String, in json: String) -> String? {
        guard let range = json.range(of: "\"\(key)\": ") else { return nil }
        let rest = json[range.upperBound...]
        if rest.first == "\"" {
            return String(rest.dropFirst().prefix(while: { $0 != "\"" }))
        }
        return String(rest.prefix(while: { $0 != "," && $0 != "}" }))
    }

    @Test func finalJSONFollowsTheDefaultEnvironment() throws {
        let output = try KstepProcess.run([
            "run", "--asm", "movl $0xffffe000,%ecx; andl %esp,%ecx; movl (%ecx),%eax; movb $0x41,%al; outb %al,$0xe9; hlt",
            "--set", "esp=0x015fa878", "--final", "json", "--dump", "init_task+12:8", "--dump", "0x015fa000:4",
        ])
        #expect(output.status == 0)
        let json = output.standardOutput
        let parsed = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        #expect(parsed != nil)
        #expect(field("reason", in: json) == "hlt")
        #expect(field("steps", in: json) == "6")
        #expect(field("ecx", in: json) == "0x015fa000")
        #expect(field("eax", in: json) == "0x00011041")  // init_task's address with al = 'A'
        #expect(field("cs", in: json) == "0x00000060")
        #expect(field("ss", in: json) == "0x00000068")
        #expect(field("console", in: json) == "A")
        #expect(json.contains("\"hex\": \"7377617070657200\""))  // "swapper"
        #expect(json.contains("{\"address\": \"0x015fa000\", \"length\": 4, \"hex\": \"00100100\"}"))
    }

    /// Ports with nothing behind them read as all ones, and the summary says which were touched.
    @Test func unmodelledPortsAreCounted() throws {
        let asm = "inb $0x80,%al; outb %al,$0x81; inb $0x80,%al; outb %al,$0xe9"
        let output = try KstepProcess.run(["run", "--asm", asm, "--final", "json"])
        #expect(output.status == 0)
        let json = output.standardOutput
        #expect(field("eax", in: json) == "0x000000ff")
        #expect(json.contains("\"unmodelled\": {\"port_reads\": 2, \"port_writes\": 1, \"ports\": [\"0x0080\", \"0x0081\"], \"memory_reads\": 0, \"memory_writes\": 0}"))
        let text = try KstepProcess.run(["run", "--asm", asm])
        #expect(text.standardOutput.contains("unmodelled: 2 port reads and 1 writes (ports 0x0080, 0x0081)"))
        let quiet = try KstepProcess.run(["run", "--asm", "outb %al,$0xe9"])
        #expect(!quiet.standardOutput.contains("unmodelled"))
    }

    @Test func guestExceptionExitsWithStatusOne() throws {
        let output = try KstepProcess.run(["run", "--asm", "movl 0x50000000, %eax", "--final", "json"])
        #expect(output.status == 1)
        #expect(field("reason", in: output.standardOutput) == "exception")
        #expect(field("exception", in: output.standardOutput) == "#PF")
        #expect(field("address", in: output.standardOutput) == "0x50000000")
    }

    @Test func stepLimitExitsWithStatusThree() throws {
        let output = try KstepProcess.run(["run", "--asm", "1: jmp 1b", "--max-steps", "50"])
        #expect(output.status == 3)
        #expect(output.standardOutput.contains("stopped: step-limit"))
        #expect(output.standardOutput.contains("after 50 instructions"))
    }

    @Test func untilASymbolAndMappedMemory() throws {
        let output = try KstepProcess.run([
            "run", "--asm", "movl $7, 0x400000; middle: movl 0x400000, %eax; hlt",
            "--map", "0x400000:0x1000", "--until", "middle", "--final", "json",
        ])
        #expect(output.status == 0)
        #expect(field("reason", in: output.standardOutput) == "until")
        #expect(field("symbol", in: output.standardOutput) == "middle")
        #expect(field("steps", in: output.standardOutput) == "1")
    }

    @Test(arguments: [
        (["--set", "exx=1"], "--set: unknown register 'exx'"),
        (["--set", "eax"], "--set: 'eax' is not REG=VALUE"),
        (["--set", "eax=nosuchsymbol"], "'nosuchsymbol' is not a number or a symbol"),
        (["--until", "nowhere"], "--until: 'nowhere' is not an address or a symbol"),
        (["--dump", "0x10"], "--dump: '0x10' is not ADDR:LEN"),
        (["--dump", "0x70000000:4"], "--dump: 0x70000000 is not mapped"),
        (["--map", "0x1000"], "--map: '0x1000' is not ADDR:SIZE"),
    ])
    func badOptionValues(extra: [String], message: String) throws {
        let output = try KstepProcess.run(["run", "--asm", "nop"] + extra)
        #expect(output.status == 2)
        #expect(output.standardError.contains(message), "\(output.standardError)")
        #expect(output.standardError.split(separator: "\n").count == 1)
    }

    @Test func assemblyErrorsNameTheInput() throws {
        let output = try KstepProcess.run(["run", "--asm", "movl %eax"])
        #expect(output.status == 2)
        #expect(output.standardError.contains("--asm:1: Error"))
    }
}
