import Foundation
import I386
import Images

/// Builds one i386 Linux executable holding many snippets and a driver that
/// runs each on the host CPU, and runs the same snippets in the interpreter.
struct DifferentialHarness {
    let cases: [DifferentialCase]

    /// The assembled executable, with symbols.
    func build(in directory: URL) throws -> ELF32File {
        let inputs = directory.appendingPathComponent("inputs.bin")
        var blob = [UInt8]()
        blob.reserveCapacity(cases.count * DifferentialState.recordSize)
        for item in cases {
            for value in item.registers + [item.eflags, 0, 0, 0] {
                withUnsafeBytes(of: value.littleEndian) { blob.append(contentsOf: $0) }
            }
            blob.append(contentsOf: item.window)
        }
        try Data(blob).write(to: inputs)

        var source = """
            .set RECORD, \(DifferentialState.recordSize)
            .set COUNT, \(cases.count)
            .data
            .align 16
            .globl window
            window: .space \(DifferentialLayout.windowSize)
            case_index: .long 0
            current_output: .long 0
            current_output_end: .long 0
            jump_target: .long 0
            saved_esp: .long 0
            .align 16
            inputs: .incbin "\(inputs.path)"
            .bss
            .align 16
            outputs: .space \(cases.count * DifferentialState.recordSize)
            .text
            .globl _start
            _start:
            next_case:
                movl case_index, %eax
                cmpl $COUNT, %eax
                jae done
                imull $RECORD, %eax, %ebx
                leal outputs(%ebx), %ecx
                movl %ecx, current_output
                addl $36, %ecx
                movl %ecx, current_output_end
                leal inputs+48(%ebx), %esi
                movl $window, %edi
                movl $\(DifferentialLayout.windowSize / 4), %ecx
                cld
                rep movsl
                movl snippets(,%eax,4), %ecx
                movl %ecx, jump_target
                leal inputs(%ebx), %esp
                popal
                popfl
                movl -24(%esp), %esp
                leal window(%esp), %esp
                jmp *jump_target
            save_state:
                movl %esp, saved_esp
                movl current_output_end, %esp
                pushfl
                pushal
                movl current_output, %edi
                movl saved_esp, %eax
                movl %eax, 12(%edi)
                addl $48, %edi
                movl $window, %esi
                movl $\(DifferentialLayout.windowSize / 4), %ecx
                cld
                rep movsl
                incl case_index
                jmp next_case
            done:
                movl $outputs, %ecx
                movl $COUNT*RECORD, %edx
            write_more:
                movl $4, %eax
                movl $1, %ebx
                int $0x80
                testl %eax, %eax
                jle finish
                addl %eax, %ecx
                subl %eax, %edx
                jnz write_more
            finish:
                movl $1, %eax
                xorl %ebx, %ebx
                int $0x80

            """
        for (index, item) in cases.enumerated() {
            source += "snip_\(index):\n\(item.body)\nsnip_\(index)_end:\n    jmp save_state\n"
        }
        source += ".section .rodata\n.align 4\nsnippets:\n"
        for index in cases.indices { source += "    .long snip_\(index)\n" }
        let path = directory.appendingPathComponent("harness.s")
        try source.write(to: path, atomically: true, encoding: .utf8)
        return try GNUToolchain.assemble(file: path.path)
    }

    /// Runs the executable natively and parses the states it wrote.
    func runNatively(_ elf: ELF32File, in directory: URL) throws -> [DifferentialState] {
        let executable = directory.appendingPathComponent("harness")
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
              output.count == cases.count * DifferentialState.recordSize else {
            throw ToolFailure(description: "native harness failed: status \(process.terminationStatus), \(output.count) bytes")
        }
        return (0..<cases.count).map { Self.parse(output, record: $0) }
    }

    /// Runs every snippet in the interpreter, from the same ELF image.
    func runInterpreter(_ elf: ELF32File) throws -> [DifferentialState] {
        let machine = try Machine()
        for segment in elf.segments where segment.isLoadable {
            machine.map(segment.virtualAddress, size: segment.memorySize)
            try machine.write(elf.contents(of: segment), at: segment.virtualAddress)
        }
        let symbols = SymbolTable(elf.symbols)
        guard let window = symbols.symbol(named: "window")?.value else { throw ToolFailure(description: "no window") }
        var states: [DifferentialState] = []
        for (index, item) in cases.enumerated() {
            guard let start = symbols.symbol(named: "snip_\(index)")?.value,
                  let end = symbols.symbol(named: "snip_\(index)_end")?.value else {
                throw ToolFailure(description: "missing snippet symbols")
            }
            try machine.write(item.window, at: window)
            for (slot, name) in DifferentialLayout.registerNames.enumerated() {
                try machine.setRegister(named: name, item.registers[slot])
            }
            try machine.setRegister(named: "esp", window &+ item.registers[3])
            machine.eflags = item.eflags
            machine.eip = start
            let reason = machine.run(maxSteps: 10_000, until: end)
            var registers = try DifferentialLayout.registerNames.map { try machine.register(named: $0) }
            var eflags = machine.eflags
            if reason != .reachedUntil {
                // Make the mismatch visible: the snippet did not complete.
                registers[7] = 0xDEAD_0000 | UInt32(truncatingIfNeeded: index)
                eflags = 0xFFFF_FFFF
                print("interpreter stopped in case \(index) (\(item.label)): \(reason)")
            }
            states.append(DifferentialState(registers: registers, eflags: eflags,
                                            window: try machine.read(window, count: DifferentialLayout.windowSize)))
        }
        return states
    }

    private static func parse(_ bytes: [UInt8], record: Int) -> DifferentialState {
        let base = record * DifferentialState.recordSize
        func word(_ offset: Int) -> UInt32 {
            (0..<4).reduce(0) { $0 | UInt32(bytes[base + offset + $1]) << (8 * UInt32($1)) }
        }
        return DifferentialState(registers: (0..<8).map { word($0 * 4) }, eflags: word(32),
                                 window: Array(bytes[(base + 48)..<(base + DifferentialState.recordSize)]))
    }

    /// True when this host can execute i386 Linux binaries.
    static func hostRunsI386() -> (Bool, String) {
        #if arch(x86_64) || arch(i386)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kstep-probe-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let elf = try GNUToolchain.assemble(text: "movl $1, %eax; movl $42, %ebx; int $0x80")
            let path = directory.appendingPathComponent("probe")
            try Data(elf.bytes).write(to: path)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path.path)
            let process = Process()
            process.executableURL = path
            try process.run()
            process.waitUntilExit()
            if process.terminationStatus == 42 { return (true, "") }
            return (false, "an i386 probe exited with \(process.terminationStatus)")
        } catch {
            return (false, "an i386 probe could not run: \(error)")
        }
        #else
        return (false, "the host is not x86")
        #endif
    }
}
