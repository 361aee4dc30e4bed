import ArgumentParser
import I386
import Images
import PC

/// Options every run accepts (`kstep run`, `kstep trace`).
struct RunOptions: ParsableArguments {
    @OptionGroup var source: InputOptions

    @Option(name: .customLong("set"), help: ArgumentHelp("Set a register before running; VALUE may be a symbol[+offset].", valueName: "REG=VALUE"))
    var assignments: [String] = []

    @Option(name: .customLong("map"), help: ArgumentHelp("Map ADDR:SIZE bytes of zeroed RAM (readable, writable, executable).", valueName: "ADDR:SIZE"))
    var mappings: [String] = []

    @Option(name: .customLong("max-steps"), help: "Stop after this many instructions (default 100,000,000; none for --multiboot).")
    var maxStepsOption: Int?

    @Flag(help: "Boot INPUT as a Multiboot kernel on a PC (RAM, BIOS tables, PIC, PIT, RTC, COM1, APICs).")
    var multiboot = false

    @Flag(help: "Put a PC's devices (PIC, PIT, RTC, COM1, APICs, CGA, keyboard) around the input's own memory.")
    var pc = false

    @Option(help: ArgumentHelp("RAM of the PC for --multiboot, e.g. 256M or 1G (default 256M).", valueName: "SIZE"))
    var memory: String?

    @Option(help: "COM1: stdio (standard input and output; the default with --multiboot) or none (output in the summary; the default with --pc).")
    var serial: SerialMode?

    @Option(name: .customLong("serial-input"), help: ArgumentHelp("Feed FILE to COM1 (at the line's speed) instead of standard input.", valueName: "FILE"))
    var serialInput: String?

    @Option(name: .customLong("until-output"), help: ArgumentHelp("Stop when COM1's output ends with TEXT (e.g. '$ ').", valueName: "TEXT"))
    var untilOutput: String?

    /// Where COM1 goes.
    enum SerialMode: String, ExpressibleByArgument {
        case stdio, none
    }

    /// The step limit: --max-steps, or 100 M (no limit for a booted kernel, which runs until it halts or is stopped).
    var maxSteps: Int { maxStepsOption ?? (multiboot ? .max : 100_000_000) }

    @Option(help: ArgumentHelp("Stop when execution reaches this symbol[+offset] or address.", valueName: "SYMBOL|ADDR"))
    var until: String?

    @Option(name: .customLong("break"), help: ArgumentHelp("Stop before the instruction at this symbol[+offset] or address runs (repeatable; stop reason 'breakpoint').", valueName: "SYMBOL|ADDR"))
    var breakpoints: [String] = []

    @Option(name: .customLong("watch"), help: ArgumentHelp("Stop after an instruction writes any of LEN bytes (default 4) at ADDR, a symbol[+offset] or address (repeatable; stop reason 'watchpoint', with the old and new bytes).", valueName: "ADDR[:LEN]"))
    var watches: [String] = []

    @Option(name: .customLong("thread-size"), help: "THREAD_SIZE: 8192, or 4096 (CONFIG_4KSTACKS): the default environment's thread_union and the trace's kernel annotations.")
    var threadSize: UInt32 = 8192

    func validate() throws {
        guard maxSteps >= 0 else { throw ValidationError("--max-steps must not be negative") }
        guard threadSize == 8192 || threadSize == 4096 else { throw ValidationError("--thread-size must be 8192 or 4096") }
        if !multiboot && memory != nil { throw ValidationError("--memory applies to --multiboot kernels") }
        if !multiboot && !pc && (serial != nil || serialInput != nil || untilOutput != nil) {
            throw ValidationError("--serial, --serial-input and --until-output need a PC: --multiboot or --pc")
        }
        if multiboot && (source.input == nil || source.loadAt != nil) {
            throw ValidationError("--multiboot boots a kernel FILE (an ELF with a Multiboot header)")
        }
    }

    /// --memory in bytes.
    func memorySize() throws(ExitCode) -> UInt32 {
        guard let memory else { return PCPlatform.defaultMemorySize }
        var text = memory.uppercased()
        var scale: UInt64 = 1
        if text.hasSuffix("K") { scale = 1 << 10 } else if text.hasSuffix("M") { scale = 1 << 20 } else if text.hasSuffix("G") { scale = 1 << 30 }
        if scale != 1 { text.removeLast() }
        guard let value = parseNumber(text), UInt64(value) * scale >= 2 << 20, UInt64(value) * scale <= 0xFEC0_0000 else {
            throw fail("--memory: '\(memory)' is not a size between 2M and 4076M (e.g. 256M)")
        }
        return UInt32(UInt64(value) * scale)
    }

    /// The input as the loader takes it.
    func programInput() throws(ExitCode) -> ProgramInput {
        try source.check()
        if let hex = source.hex {
            return .hex(hex, address: GNUToolchain.defaultLoadAddress)
        }
        if let asm = source.asm { return .assembly(asm) }
        let path = source.input ?? ""
        if let text = source.loadAt {
            guard let address = parseNumber(text) else { throw fail("--load-at: '\(text)' is not an address") }
            return .raw(path: path, address: address)
        }
        return .file(path)
    }

    /// Loads the input and applies --map, --set, --break and --watch (to the
    /// machine); returns the image and the --until address.
    func prepare() throws(ExitCode) -> (image: LoadedImage, until: UInt32?) {
        let input = try programInput()
        var image: LoadedImage
        do {
            if multiboot, case .file(let path) = input {
                image = try MultibootLoader.load(path, memorySize: try memorySize())
            } else {
                image = try ImageLoader.load(input, threadSize: threadSize)
            }
        } catch {
            throw fail("\(error)")
        }
        if let interpreter = image.elf?.programInterpreter {
            var standardError = StandardError()
            print("kstep: note: \(image.name) is a Linux user program (its interpreter is \(interpreter)); kstep runs kernel "
                  + "code on a bare CPU with no Linux, loader or libc under it, so expect it to stop at its first system call",
                  to: &standardError)
        }
                if pc { image.attachPC() }
        let machine = image.machine
        for text in mappings {
            let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, let address = image.resolve(parts[0]),
                  let size = parseNumber(parts[1]), size > 0 else {
                throw fail("--map: '\(text)' is not ADDR:SIZE (e.g. 0x400000:0x1000)")
            }
            machine.map(address, size: size, permissions: .all)  // RAM: readable, writable, executable
        }
        for text in assignments {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw fail("--set: '\(text)' is not REG=VALUE") }
            guard let value = image.resolve(parts[1]) else {
                throw fail("--set: '\(parts[1])' is not a number or a symbol of \(image.name)")
            }
            do {
                try machine.setRegister(named: parts[0], value)
            } catch {
                throw fail("--set: \(error) (known: \(RegisterName.all.joined(separator: " ")))")
            }
        }
        var breakpointAddresses = Set<UInt32>()
        for text in breakpoints {
            guard let address = image.resolve(text) else {
                throw fail("--break: '\(text)' is not an address or a symbol of \(image.name)")
            }
            breakpointAddresses.insert(address)
        }
        machine.breakpoints = breakpointAddresses
        var watchpoints: [Watchpoint] = []
        for text in watches {
            var expression = text
            var length: UInt32 = 4
            if let colon = text.lastIndex(of: ":") {
                guard let value = parseNumber(String(text[text.index(after: colon)...])), value >= 1, value <= 4096 else {
                    throw fail("--watch: '\(text)' is not ADDR[:LEN] with LEN from 1 to 4096 (e.g. b_task+484:4)")
                }
                length = value
                expression = String(text[..<colon])
            }
            guard let address = image.resolve(expression) else {
                throw fail("--watch: '\(expression)' is not an address or a symbol of \(image.name)")
            }
            watchpoints.append(Watchpoint(address: address, length: length, kind: .write))
        }
        machine.watchpoints = watchpoints
        var untilAddress: UInt32?
        if let until {
            guard let address = image.resolve(until) else {
                throw fail("--until: '\(until)' is not an address or a symbol of \(image.name)")
            }
            untilAddress = address
        }
        return (image, untilAddress)
    }
}
