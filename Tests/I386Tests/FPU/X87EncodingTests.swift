import Foundation
@testable import I386
import Images
import Testing
import X86Decoding

/// Every x87 encoding, as the decoder and translator see it, and which x87
/// instructions wait: checked against the SDM's opcode map and against the
/// host CPU.
@Suite struct X87EncodingTests {
    /// One encoding per `X87Form` (the first in opcode order), as bytes: a
    /// memory form addresses `operand` with a 32-bit displacement.
    static func encodings(operand: UInt32) -> [(form: X87Form, bytes: [UInt8])] {
        var found: [X87Form: [UInt8]] = [:]
        let displacement = (0..<4).map { UInt8(truncatingIfNeeded: operand >> (8 * UInt32($0))) }
        for escape in UInt8(0xD8)...0xDF {
            for reg in UInt8(0)...7 {
                if let form = OpTranslator.memoryForm(escape: escape, reg: reg), found[form] == nil {
                    found[form] = [escape, reg << 3 | 5] + displacement
                }
            }
            for modRM in UInt8(0xC1)...0xFF {  // ST(1) where the form takes an index
                if let form = OpTranslator.registerForm(escape: escape, modRM: modRM), found[form] == nil {
                    found[form] = [escape, modRM]
                }
            }
            if let form = OpTranslator.registerForm(escape: escape, modRM: 0xC0), found[form] == nil {
                found[form] = [escape, 0xC0]
            }
        }
        found[.fxsave] = [0x0F, 0xAE, 0x05] + displacement
        found[.fxrstor] = [0x0F, 0xAE, 0x0D] + displacement
        return X87Form.allCases.compactMap { form in found[form].map { (form, $0) } }
    }

    @Test func everyFormHasAnEncoding() {
        let forms = Set(Self.encodings(operand: 0).map(\.form))
        #expect(forms == Set(X87Form.allCases))
        #expect(MemoryLayout<Op>.stride == 32)  // x87Opcode fills padding: still two ops per cache line
    }

    /// All 8 × 256 ModR/M values of D8–DF (memory forms as `(%eax)`):
    /// Capstone's decoding plus the translator give exactly the form of
    /// kstep's table, or #UD where the table has none.
    @Test func everyEscapeEncodingTranslatesToItsForm() throws {
        let decoder = try X86Decoder()
        var checked = 0
        for escape in UInt8(0xD8)...0xDF {
            for modRM in UInt8(0)...0xFF {
                let isRegister = modRM >> 6 == 3
                let memoryModRM = modRM & 0x38  // mod 00, rm 000: (%eax)
                guard isRegister || modRM == memoryModRM else { continue }
                let expected = isRegister ? OpTranslator.registerForm(escape: escape, modRM: modRM)
                    : OpTranslator.memoryForm(escape: escape, reg: (modRM >> 3) & 7)
                let bytes = [escape, modRM, 0x90, 0x90]
                let op: Op?
                do {
                    op = OpTranslator.translate(try decoder.decode(bytes, address: 0x1000))
                } catch {
                    op = nil  // undecodable: #UD when executed
                }
                if let expected {
                    #expect(op?.kind == .x87 && op?.specialRegister == expected.rawValue && op?.length == 2,
                            "\(hex(escape)) \(hex(modRM)): expected \(expected)")
                    #expect(op?.x87Opcode == UInt16(escape & 7) << 8 | UInt16(modRM))
                } else {
                    #expect(op == nil || op?.kind == .invalid, "\(hex(escape)) \(hex(modRM)) must be #UD")
                }
                checked += 1
            }
        }
        #expect(checked == 8 * (64 + 8))
    }

    /// A few encodings spelled out as the SDM's opcode map gives them,
    /// including the reversed DC/DE subtractions and divisions.
    @Test func registerFormsFollowTheOpcodeMap() {
        let table: [(UInt8, UInt8, X87Form)] = [
            (0xD8, 0xE1, .fsubST0), (0xD8, 0xE9, .fsubrST0), (0xD8, 0xF1, .fdivST0), (0xD8, 0xF9, .fdivrST0),
            (0xDC, 0xE1, .fsubrSTi), (0xDC, 0xE9, .fsubSTi), (0xDC, 0xF1, .fdivrSTi), (0xDC, 0xF9, .fdivSTi),
            (0xDE, 0xE1, .fsubrp), (0xDE, 0xE9, .fsubp), (0xDE, 0xF1, .fdivrp), (0xDE, 0xF9, .fdivp),
            (0xDE, 0xD9, .fcompp), (0xDA, 0xE9, .fucompp), (0xDF, 0xE0, .fnstswAX), (0xDB, 0xE3, .fninit),
            (0xDB, 0xE2, .fnclex), (0xDB, 0xE8, .fucomiSTi), (0xDB, 0xF0, .fcomiSTi), (0xDF, 0xE8, .fucomipSTi),
            (0xDF, 0xF0, .fcomipSTi), (0xD9, 0xD8, .fstpSTi), (0xDF, 0xC1, .ffreep), (0xDD, 0xC9, .fxch),
            (0xD9, 0xEB, .fldpi), (0xD9, 0xF8, .fprem), (0xD9, 0xF5, .fprem1), (0xD9, 0xF6, .fdecstp),
        ]
        for (escape, modRM, form) in table {
            #expect(OpTranslator.registerForm(escape: escape, modRM: modRM) == form, "\(hex(escape)) \(hex(modRM))")
        }
        for (escape, modRM) in [(UInt8(0xD9), UInt8(0xD1)), (0xD9, 0xE2), (0xD9, 0xEF), (0xDA, 0xE8), (0xDB, 0xE5),
                                (0xDB, 0xF8), (0xDD, 0xF0), (0xDE, 0xD8), (0xDF, 0xE1), (0xDF, 0xF8)] {
            #expect(OpTranslator.registerForm(escape: escape, modRM: modRM) == nil, "\(hex(escape)) \(hex(modRM))")
        }
        // fisttp (SSE3) and the reserved memory slots.
        for (escape, reg) in [(UInt8(0xD9), UInt8(1)), (0xDB, 1), (0xDB, 4), (0xDB, 6), (0xDD, 1), (0xDD, 5), (0xDF, 1)] {
            #expect(OpTranslator.memoryForm(escape: escape, reg: reg) == nil)
        }
    }

    /// Which instructions wait: after `fdiv` by zero with ZE unmasked, each
    /// form runs natively (where #MF reaches the program as SIGFPE) and in
    /// kstep with CR0.NE set (where it stops the run with #MF at that
    /// instruction). The host and kstep must agree for every form and fwait.
    @Test func waitingInstructionsAgreeWithTheHost() throws {
        let (canRun, reason) = DifferentialHarness.hostRunsI386()
        guard canRun else {
            print("skipping the x87 waiting-instruction test: \(reason)")
            return
        }
        // The operand area: 512 bytes of zeros (a valid image for frstor,
        // fldenv and fxrstor), 16-byte aligned, at a fixed address.
        let operand: UInt32 = 0x0900_0000
        var tests = Self.encodings(operand: operand).map { ("\($0.form)", $0.bytes) }
        tests.append(("fwait", [0x9B]))
        var source = """
            .section .operand, "aw"
            .space 512
            .data
            .align 4
            results: .space \(4 * tests.count)
            saved_esp: .long 0
            resume: .long 0
            sigaction: .long handler, 0x40000000, 0, 0, 0
            unmask_zero_divide: .word 0x037B
            .text
            .globl _start
            _start:
                movl $174, %eax
                movl $8, %ebx
                movl $sigaction, %ecx
                xorl %edx, %edx
                movl $8, %esi
                int $0x80

            """
        for (index, test) in tests.enumerated() {
            source += """
                test_\(index):
                    movl %esp, saved_esp
                    movl $faulted_\(index), resume
                    fninit
                    fldcw unmask_zero_divide
                    fldz
                    fld1
                    fdiv %st(1), %st
                instruction_\(index):
                    .byte \(test.1.map { "0x" + String($0, radix: 16) }.joined(separator: ", "))
                    movl $0, results+\(4 * index)
                    jmp next_\(index)
                faulted_\(index):
                    movl $1, results+\(4 * index)
                next_\(index):

                """
        }
        source += """
                movl $4, %eax
                movl $1, %ebx
                movl $results, %ecx
                movl $\(4 * tests.count), %edx
                int $0x80
                movl $1, %eax
                xorl %ebx, %ebx
                int $0x80
            handler:
                movl saved_esp, %esp
                jmp *resume

            """
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kstep-x87-wait-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("wait.s")
        try source.write(to: path, atomically: true, encoding: .utf8)
        let object = directory.appendingPathComponent("wait.o")
        let executable = directory.appendingPathComponent("wait")
        try runTool("as", ["--32", "-o", object.path, path.path])
        try runTool("ld", ["-m", "elf_i386", "-static", "--section-start=.operand=0x\(String(operand, radix: 16))",
                           "-o", executable.path, object.path])

        let process = Process()
        process.executableURL = executable
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = [UInt8](pipe.fileHandleForReading.readDataToEndOfFile())
        process.waitUntilExit()
        try #require(process.terminationStatus == 0 && output.count == 4 * tests.count)

        let elf = try ELF32File(bytes: [UInt8](try Data(contentsOf: executable)), path: executable.path)
        let symbols = SymbolTable(elf.symbols)
        let machine = try Machine()
        for segment in elf.segments where segment.isLoadable {
            machine.map(segment.virtualAddress, size: segment.memorySize)
            try machine.write(elf.contents(of: segment), at: segment.virtualAddress)
        }
        machine.map(0xBFF0_0000, size: 0x10000)
        machine[.esp] = 0xBFF1_0000
        machine[.cr0] = machine[.cr0] | 0x22  // NE, MP
        var waiting: [String] = []
        for (index, test) in tests.enumerated() {
            let start = try #require(symbols.symbol(named: "test_\(index)")?.value)
            let instruction = try #require(symbols.symbol(named: "instruction_\(index)")?.value)
            let next = try #require(symbols.symbol(named: "next_\(index)")?.value)
            machine.eip = start
            let stop = machine.run(maxSteps: 100, until: next)
            let hostFaulted = output[4 * index] == 1
            if hostFaulted {
                waiting.append(test.0)
                #expect(stop == .exception(.floatingPointError) && machine.eip == instruction,
                        "\(test.0) waits on the host: kstep stopped with \(stop) at \(hex(machine.eip))")
            } else {
                #expect(stop == .reachedUntil, "\(test.0) does not wait on the host: kstep stopped with \(stop)")
            }
        }
        print("x87 waiting instructions: \(tests.count) forms checked against the host, "
              + "\(tests.count - waiting.count) do not wait: "
              + tests.map(\.0).filter { !waiting.contains($0) }.joined(separator: " "))
    }

    private func hex<T: BinaryInteger>(_ value: T) -> String { String(value, radix: 16) }
}
