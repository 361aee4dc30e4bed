import Foundation
import Testing

/// `kstep disasm`, run as a subprocess.
@Suite struct DisasmCommandTests {
    @Test func hexBytesPrintOneInstructionPerLine() throws {
        let output = try KstepProcess.run(["disasm", "--hex", "9c 55 89 a0 e4 01 00 00"])
        #expect(output.status == 0)
        let lines = output.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[0].hasSuffix("pushfl"))
        #expect(lines[1].hasSuffix("pushl %ebp"))
        #expect(lines[2].hasSuffix("movl %esp, 0x1e4(%eax)"))
        #expect(lines[2].contains("0x00100002"))
    }

    @Test func intelSyntaxAndAddress() throws {
        let output = try KstepProcess.run(["disasm", "--hex", "89a0e4010000", "--at", "0xc0100000", "--syntax", "intel"])
        #expect(output.status == 0)
        #expect(output.standardOutput.contains("0xc0100000:"))
        #expect(output.standardOutput.contains("mov dword ptr [eax + 0x1e4], esp"))
    }

    @Test func undecodableBytesShowAsBad() throws {
        let output = try KstepProcess.run(["disasm", "--hex", "0f 0b ff ff"])
        #expect(output.status == 0)
        #expect(output.standardOutput.contains("ud2"))
        #expect(output.standardOutput.contains("(bad)"))
    }

    @Test func sourceFileIsAssembledAndLabelled() throws {
        let source = try KstepProcess.temporaryFile(Array("""
            .globl __switch_to
            start: pushfl
            jmp __switch_to
            __switch_to: ret
            """.utf8), suffix: ".s")
        let output = try KstepProcess.run(["disasm", source])
        #expect(output.status == 0)
        #expect(output.standardOutput.contains("<__switch_to>:"))
        #expect(output.standardOutput.contains("jmp 0x100003 <__switch_to>"))
    }

    @Test(arguments: [
        (["disasm", "--hex", "zz"], "--hex: 'zz' is not hex"),
        (["disasm", "--hex", "9c5"], "odd number of hex digits"),
        (["disasm", "/nonexistent/image.elf"], "/nonexistent/image.elf: cannot read: no such file"),
        (["disasm", "--hex", "90", "--at", "banana"], "--at: 'banana' is not a number"),
    ])
    func badInputIsOneClearLine(arguments: [String], message: String) throws {
        let output = try KstepProcess.run(arguments)
        #expect(output.status == 2)
        #expect(output.standardOutput.isEmpty)
        #expect(output.standardError.contains(message))
        #expect(output.standardError.split(separator: "\n").count == 1)
    }

    @Test func malformedELFsAreRejected() throws {
        let truncated = try KstepProcess.temporaryFile([0x7F, 0x45, 0x4C, 0x46, 1, 1, 1, 0])
        var header = [UInt8](repeating: 0, count: 52)
        header[0...5] = [0x7F, 0x45, 0x4C, 0x46, 1, 1]
        header[18] = 0x3E  // EM_X86_64
        let wrongMachine = try KstepProcess.temporaryFile(header)
        for (path, reason) in [(truncated, "shorter than an ELF header"), (wrongMachine, "is not EM_386")] {
            let output = try KstepProcess.run(["disasm", path])
            #expect(output.status == 2)
            #expect(output.standardError.contains("\(path): not a valid i386 ELF32 file"))
            #expect(output.standardError.contains(reason))
            #expect(!output.standardError.contains("Fatal error"))
        }
    }

    @Test func assemblerErrorsKeepTheirLineNumbers() throws {
        let source = try KstepProcess.temporaryFile(Array("nop\nmovl %eax\n".utf8), suffix: ".s")
        let output = try KstepProcess.run(["disasm", source])
        #expect(output.status == 2)
        #expect(output.standardError.contains("\(source): assembly failed"))
        #expect(output.standardError.contains("\(source):2: Error: number of operands mismatch"))
    }
}
