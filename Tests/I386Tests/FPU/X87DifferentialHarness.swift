import Foundation
import I386
import Images

/// Builds one i386 Linux executable that runs x87 sequences natively (each:
/// fxrstor of a clean image (MXCSR and XMM registers), frstor, the
/// instructions with the status word and EFLAGS recorded after every one,
/// stopping after an instruction that leaves an exception pending, then
/// fnsave), and runs the same sequences through `X87State` and, as the same
/// executable, through the interpreter.
///
/// The native program reaches no waiting x87 instruction while an exception
/// is pending (fnstsw and fnsave do not wait, and frstor loads a fresh
/// state), so unmasked exceptions never turn into SIGFPE.
struct X87DifferentialHarness {
    let cases: [X87TestCase]

    /// Where each field of a case's record lives (the input image and memory
    /// are overwritten in place by the native run).
    enum Record {
        static let image = 0
        static let steps = 112
        static let statusWords = 128
        static let eflags = 160
        static let finalImage = 224
        static let memory = 352
        static let size = memory + X87TestCase.memorySize
    }

    func build(in directory: URL) throws -> ELF32File {
        var blob = [UInt8](repeating: 0, count: cases.count * Record.size)
        for (index, item) in cases.enumerated() {
            let base = index * Record.size
            blob.replaceSubrange((base + Record.image)..<(base + Record.image + item.image.count), with: item.image)
            blob.replaceSubrange((base + Record.memory)..<(base + Record.size), with: item.memory)
        }
        let inputs = directory.appendingPathComponent("x87-records.bin")
        try Data(blob).write(to: inputs)

        var lines = [
            ".data", ".align 16",
            "clean_fxsave_image: .word 0x37f", ".space 22", ".long 0x1f80", ".space 484",
            "records: .incbin \"\(inputs.path)\"",
            ".text", ".globl _start", "_start:",
        ]
        for (index, item) in cases.enumerated() {
            let base = index * Record.size
            func at(_ offset: Int) -> String { "records+\(base + offset)" }
            lines += ["fxrstor clean_fxsave_image", "frstor \(at(Record.image))", "fnstsw %ax", "testb $0x80, %al",
                      "jnz c\(index)_end"]
            for (step, entry) in item.steps.enumerated() {
                if item.segmentPrefixedSteps.contains(step) { lines.append(".byte 0x3e") }
                lines += entry.instruction.assembly(operand: at(Record.memory + entry.offset))
                lines += [
                    "pushfl", "popl \(at(Record.eflags + 4 * step))",
                    "fnstsw \(at(Record.statusWords + 2 * step))",
                    "movl $\(step + 1), \(at(Record.steps))",
                    "testb $0x80, \(at(Record.statusWords + 2 * step))",
                    "jnz c\(index)_end",
                ]
            }
            lines += ["c\(index)_end:", "fnsave \(at(Record.finalImage))"]
        }
        lines += [
            ".globl cases_done", "cases_done:",
            "movl $records, %ecx", "movl $\(cases.count * Record.size), %edx",
            "write_more:", "movl $4, %eax", "movl $1, %ebx", "int $0x80",
            "testl %eax, %eax", "jle finish", "addl %eax, %ecx", "subl %eax, %edx", "jnz write_more",
            "finish:", "movl $1, %eax", "xorl %ebx, %ebx", "int $0x80",
        ]
        let path = directory.appendingPathComponent("x87-harness.s")
        try (lines.joined(separator: "\n") + "\n").write(to: path, atomically: true, encoding: .utf8)
        return try GNUToolchain.assemble(file: path.path)
    }

    func runNatively(_ elf: ELF32File, in directory: URL) throws -> [X87TestOutcome] {
        let executable = directory.appendingPathComponent("x87-harness")
        try Data(elf.bytes).write(to: executable)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: executable.path)
        let process = Process()
        process.executableURL = executable
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = [UInt8](pipe.fileHandleForReading.readDataToEndOfFile())
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0,
              output.count == cases.count * Record.size else {
            throw ToolFailure(description: "native x87 harness failed: status \(process.terminationStatus), \(output.count) bytes")
        }
        return parse(output)
    }

    /// Segment selectors of a 32-bit process on x86-64 Linux (user CS and DS):
    /// the interpreter runs the harness with the same ones, so the FCS and
    /// FDS the FPU records are comparable.
    static let hostCodeSelector: UInt32 = 0x23
    static let hostDataSelector: UInt32 = 0x2B

    /// Runs the same executable in the interpreter: the ELF's segments
    /// mapped at their addresses, the host's user selectors, CR0.NE and MP
    /// set as Linux sets them, from `_start` to `cases_done`; returns the
    /// records it wrote, parsed as the native run's.
    func runInterpreter(_ elf: ELF32File) throws -> [X87TestOutcome] {
        let machine = try Machine()
        for segment in elf.segments where segment.isLoadable {
            machine.map(segment.virtualAddress, size: segment.memorySize)
            try machine.write(elf.contents(of: segment), at: segment.virtualAddress)
        }
        let symbols = SymbolTable(elf.symbols)
        guard let start = symbols.symbol(named: "_start")?.value, let done = symbols.symbol(named: "cases_done")?.value,
              let records = symbols.symbol(named: "records")?.value else {
            throw ToolFailure(description: "x87 harness without _start, cases_done or records")
        }
        let stackTop: UInt32 = 0xBFF0_0000
        machine.map(stackTop - 0x10000, size: 0x10000)
        machine[.cs] = Self.hostCodeSelector
        for register in [Register.ds, .es, .ss] { machine[register] = Self.hostDataSelector }
        machine[.cr0] = machine[.cr0] | 0x22  // NE, MP
        machine[.esp] = stackTop
        machine.eflags = 0x202  // IF, as in a user process
        machine.eip = start
        let reason = machine.run(maxSteps: 100_000_000, until: done)
        guard reason == .reachedUntil else {
            throw ToolFailure(description: "the interpreter stopped the x87 harness: \(reason) at \(machine.describe(machine.eip))")
        }
        return parse(try machine.read(records, count: cases.count * Record.size))
    }

    /// The records of every case, from the bytes the harness wrote.
    private func parse(_ output: [UInt8]) -> [X87TestOutcome] {
        cases.indices.map { index in
            let record = Array(output[(index * Record.size)..<((index + 1) * Record.size)])
            func word(_ offset: Int) -> UInt16 { UInt16(record[offset]) | UInt16(record[offset + 1]) << 8 }
            func doubleword(_ offset: Int) -> UInt32 { UInt32(word(offset)) | UInt32(word(offset + 2)) << 16 }
            let steps = Int(doubleword(Record.steps))
            return X87TestOutcome(
                steps: steps,
                statusWords: (0..<steps).map { word(Record.statusWords + 2 * $0) },
                eflags: (0..<steps).map { doubleword(Record.eflags + 4 * $0) },
                finalImage: Array(record[Record.finalImage..<(Record.finalImage + X87State.saveSize)]),
                memory: Array(record[Record.memory..<Record.size]))
        }
    }

    /// Runs a case through `X87State`, as the native program runs it.
    static func runThroughX87State(_ item: X87TestCase) throws -> X87TestOutcome {
        var state = X87State()
        state.restore(item.image)
        var memory = item.memory
        var eflags: UInt32 = 0x202
        var outcome = X87TestOutcome(steps: 0, statusWords: [], eflags: [], finalImage: [], memory: [])
        if !state.isExceptionPending {
            for entry in item.steps {
                if case .alias(0xD9, _) = entry.instruction, state.isEmpty(st: 0) {
                    outcome.reachesVendorSpecificBehaviour = true
                }
                try entry.instruction.execute(on: &state, memory: &memory, offset: entry.offset, eflags: &eflags)
                outcome.steps += 1
                outcome.statusWords.append(state.statusWord.rawValue)
                outcome.eflags.append(eflags)
                if state.isExceptionPending { break }
            }
        }
        outcome.finalImage = state.save()
        outcome.memory = memory
        return outcome
    }

    /// The differences between the host's and kstep's outcome, one line each
    /// (empty when they agree on everything comparable). Through `X87State`
    /// the last-instruction pointers are not comparable (the harness sets
    /// none) and only the flags an instruction writes are; through the
    /// interpreter everything is, but fxsave's MXCSR_MASK.
    static func differences(_ item: X87TestCase, host: X87TestOutcome, kstep: X87TestOutcome,
                            throughInterpreter: Bool = false) -> [String] {
        var lines: [String] = []
        if host.steps != kstep.steps { lines.append("steps: host \(host.steps) kstep \(kstep.steps)") }
        for step in 0..<min(host.steps, kstep.steps) {
            if host.statusWords[step] != kstep.statusWords[step] {
                lines.append("after step \(step) (\(item.steps[step].instruction.mnemonic)): status host \(hex(host.statusWords[step])) kstep \(hex(kstep.statusWords[step]))")
            }
            let mask = throughInterpreter ? 0xFFFF_FFFF : item.steps[step].instruction.flagMask
            if host.eflags[step] & mask != kstep.eflags[step] & mask {
                lines.append("after step \(step) (\(item.steps[step].instruction.mnemonic)): eflags host \(hex(host.eflags[step] & mask)) kstep \(hex(kstep.eflags[step] & mask))")
            }
        }
        let pointerFields = throughInterpreter ? 0..<0 : 12..<26
        for offset in 0..<X87State.saveSize where !pointerFields.contains(offset) && host.finalImage[offset] != kstep.finalImage[offset] {
            lines.append("final state differs at +\(offset):\n    host  \(describe(image: host.finalImage))\n    kstep \(describe(image: kstep.finalImage))")
            break
        }
        var incomparable = Set<Int>()
        for entry in item.steps {
            let ranges = throughInterpreter ? entry.instruction.incomparableRangesThroughTheInterpreter
                : entry.instruction.incomparableRanges
            for range in ranges { incomparable.formUnion(range.map { entry.offset + $0 }) }
        }
        for offset in 0..<X87TestCase.memorySize where !incomparable.contains(offset) && host.memory[offset] != kstep.memory[offset] {
            let start = offset & ~15
            lines.append("memory at +\(offset): host \(hexBytes(host.memory[start..<(start + 16)])) kstep \(hexBytes(kstep.memory[start..<(start + 16)]))")
            break
        }
        return lines
    }

    static func hex<T: BinaryInteger>(_ value: T) -> String { "0x" + String(value, radix: 16) }

    static func hexBytes(_ bytes: ArraySlice<UInt8>) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    /// CW, SW, TW and the registers of an fnsave image.
    static func describe(image: [UInt8]) -> String {
        func word(_ offset: Int) -> UInt16 { UInt16(image[offset]) | UInt16(image[offset + 1]) << 8 }
        let registers = (0..<8).map { "st\($0)=\(ExtendedReal(bytes: image[(28 + 10 * $0)..<(38 + 10 * $0)]))" }
        func doubleword(_ offset: Int) -> UInt32 { UInt32(word(offset)) | UInt32(word(offset + 2)) << 16 }
        return "cw=\(hex(word(0))) sw=\(hex(word(4))) tw=\(hex(word(8))) fip=\(hex(doubleword(12))) "
            + "fcs/fop=\(hex(doubleword(16))) fdp=\(hex(doubleword(20))) fds=\(hex(word(24))) " + registers.joined(separator: " ")
    }

    /// A case as text: its initial state and instructions with their operands.
    static func describe(case item: X87TestCase) -> String {
        var lines = ["  start: \(describe(image: item.image))"]
        for (step, entry) in item.steps.enumerated() {
            let size = entry.instruction.memorySize
            let operand = size > 0 && size <= 16 ? " [" + hexBytes(item.memory[entry.offset..<(entry.offset + size)]) + "]" : ""
            let prefix = item.segmentPrefixedSteps.contains(step) ? "ds " : ""
            lines.append("  \(step): \(prefix)\(entry.instruction.assembly(operand: "mem+\(entry.offset)").joined(separator: "; "))  (\(entry.instruction.mnemonic))\(operand)")
        }
        return lines.joined(separator: "\n")
    }
}
