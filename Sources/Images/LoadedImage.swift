import Foundation
import I386
import KernelModel
import PC

/// A machine with an input loaded into it, and the input's symbols.
public struct LoadedImage {
    /// The machine, ready to run from the entry point.
    public let machine: Machine
    /// The port-0xE9 debug console attached to it.
    public private(set) var console: DebugConsole
    /// The PC around the machine, for a booted (Multiboot) kernel.
    public var platform: PCPlatform? = nil
    /// The ELF file the image came from (nil for raw bytes and the a.out kludge).
    public var elf: ELF32File? = nil
    /// Symbols of the image (empty for raw bytes).
    public let symbols: SymbolTable
    /// The name of the input, for messages.
    public let name: String

    /// Resolves an address expression against the image's symbols: terms
    /// joined by `+` or `-`, each a number (`0x1234`, `1234`) or a symbol
    /// (`init_task+480`, `b_thread_union+8192-60`); nil when a term names nothing.
    public func resolve(_ text: String) -> UInt32? {
        var total: UInt32 = 0
        var sign: Character = "+"
        var term = ""
        func add() -> Bool {
            let trimmed = term.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { return false }
            guard let value = parseNumber(trimmed) ?? symbols.symbol(named: trimmed)?.value else { return false }
            total = sign == "+" ? total &+ value : total &- value
            return true
        }
        for character in text {
            if (character == "+" || character == "-") && !term.trimmingCharacters(in: .whitespaces).isEmpty {
                guard add() else { return nil }
                sign = character
                term = ""
            } else {
                term.append(character)
            }
        }
        guard add() else { return nil }
        return total
    }
}

extension LoadedImage {
    /// Puts a PC's devices around the machine — the 8259 pair, the PIT, the
    /// CMOS clock, COM1, the local and I/O APIC, the CGA CRTC, the keyboard
    /// controller, the 0xE9 console — leaving the image's memory as it is
    /// (`kstep run --pc`, `"pc": true` in an expectation file).
    public mutating func attachPC() {
        guard platform == nil else { return }
        let pc = PCPlatform()
        pc.attach(to: machine, layingOutMemory: false)
        platform = pc
        console = pc.console
    }
}

/// A 32-bit value written as `0x…` hex, `0b…` binary or decimal (a leading `-` wraps).
public func parseNumber(_ text: String) -> UInt32? {
    var body = Substring(text.filter { $0 != " " && $0 != "_" })
    var negative = false
    if body.hasPrefix("-") {
        negative = true
        body = body.dropFirst()
    }
    let value: UInt64?
    if body.lowercased().hasPrefix("0x") {
        value = UInt64(body.dropFirst(2), radix: 16)
    } else if body.lowercased().hasPrefix("0b") {
        value = UInt64(body.dropFirst(2), radix: 2)
    } else {
        value = UInt64(body, radix: 10)
    }
    guard let value, value <= UInt64(UInt32.max) else { return nil }
    return negative ? 0 &- UInt32(value) : UInt32(value)
}

/// What the user gave kstep to run.
public enum ProgramInput: Sendable {
    /// An ELF32 i386 file, or a `.s`/`.S` source to assemble and link.
    case file(String)
    /// A raw binary loaded at an address.
    case raw(path: String, address: UInt32)
    /// Machine code as hex text, placed at an address.
    case hex(String, address: UInt32)
    /// AT&T assembly text (`;` or newlines separate instructions).
    case assembly(String)

    /// The input's name in messages.
    public var name: String {
        switch self {
        case .file(let path), .raw(let path, _): path
        case .hex: "--hex"
        case .assembly: "--asm"
        }
    }
}

/// Loads ELF images and raw bytes into a fresh `Machine`.
public enum ImageLoader {
    /// Loads any input. Snippets (`--asm`, `--hex`, raw bytes) stop with
    /// `endOfCode` when execution reaches the end of their bytes.
    /// `threadSize` sizes the default environment's thread_union (8192 or 4096).
    public static func load(_ input: ProgramInput, threadSize: UInt32 = Linux26.threadSize) throws(ImageError) -> LoadedImage {
        switch input {
        case .file(let path):
            return try load(try InputFile.loadELF(path), threadSize: threadSize)
        case .raw(let path, let address):
            return try load(bytes: try InputFile.read(path), at: address, name: path, threadSize: threadSize)
        case .hex(let text, let address):
            return try load(bytes: try HexBytes.parse(text), at: address, name: "--hex", threadSize: threadSize)
        case .assembly(let text):
            let elf = try GNUToolchain.assemble(text: text)
            let loaded = try load(elf, threadSize: threadSize)
            if let text = elf.sections.first(where: { $0.name == ".text" }) {
                loaded.machine.endAddress = text.address &+ text.size
            }
            return loaded
        }
    }

    /// Maps every PT_LOAD segment as RAM (bss zeroed), sets eip
    /// to the entry point, and gives the machine a default stack.
    public static func load(_ elf: ELF32File, threadSize: UInt32 = Linux26.threadSize) throws(ImageError) -> LoadedImage {
        guard !elf.isRelocatable else {
            throw .malformedELF(path: elf.path, reason: "a relocatable object (.o) has no load addresses; link it first")
        }
        let (machine, console) = try makeMachine(name: elf.path)
        for segment in elf.segments where segment.isLoadable && segment.memorySize > 0 {
            // RAM, as on an i386: with paging off nothing protects a page (p_flags are
            // the linker's intent, not the hardware's), so self-modifying code works;
            // with paging on, the page tables decide.
            machine.map(segment.virtualAddress, size: segment.memorySize, permissions: .all)
            do {
                try machine.write(elf.contents(of: segment), at: segment.virtualAddress)
            } catch {
                throw .malformedELF(path: elf.path, reason: "segment at 0x\(hex(segment.virtualAddress)) could not be loaded: \(error)")
            }
        }
        machine.eip = elf.entry
        // The image's own symbols win over the environment's (init_task, init_thread_union);
        // the link script's PROVIDEd copies of the environment's own (absolute, unsized) give way.
        let environment = try installEnvironment(machine, name: elf.path, threadSize: threadSize)
        let provided = Set(environment.map { "\($0.name)@\($0.value)" })
        let own = elf.symbols.filter { !($0.sectionIndex == 0xFFF1 && $0.size == 0 && provided.contains("\($0.name)@\($0.value)")) }
        let defined = Set(own.map(\.name))
        var image = LoadedImage(machine: machine, console: console,
                                symbols: SymbolTable(own + environment.filter { !defined.contains($0.name) }),
                                name: elf.path)
        image.elf = elf
        return image
    }

    /// Loads raw bytes at `address` (RAM: readable, writable, executable), for `--hex` and raw files;
    /// execution stops with `endOfCode` after the last byte.
    public static func load(bytes: [UInt8], at address: UInt32, name: String,
                            threadSize: UInt32 = Linux26.threadSize) throws(ImageError) -> LoadedImage {
        let (machine, console) = try makeMachine(name: name)
        guard UInt64(address) + UInt64(bytes.count) <= 0x1_0000_0000 else {
            throw .unreadable(path: name, reason: "\(bytes.count) bytes at 0x\(hex(address)) run past 4 GB")
        }
        machine.map(address, size: UInt32(max(bytes.count, 1)), permissions: .all)
        do {
            try machine.write(bytes, at: address)
        } catch {
            throw .unreadable(path: name, reason: "\(error)")
        }
        machine.eip = address
        machine.endAddress = address &+ UInt32(bytes.count)
        let environment = try installEnvironment(machine, name: name, threadSize: threadSize)
        return LoadedImage(machine: machine, console: console, symbols: SymbolTable(environment), name: name)
    }

    /// A machine with the debug console on port 0xE9.
    private static func makeMachine(name: String) throws(ImageError) -> (Machine, DebugConsole) {
        let machine: Machine
        do {
            machine = try Machine()
        } catch {
            throw .toolMissing("Capstone (\(error))")
        }
        let console = DebugConsole()
        machine.ports.attach(console, ports: DebugConsole.port...DebugConsole.port)
        return (machine, console)
    }

    private static func installEnvironment(_ machine: Machine, name: String, threadSize: UInt32) throws(ImageError) -> [ELFSymbol] {
        do {
            return try DefaultEnvironment.install(on: machine, threadSize: threadSize)
        } catch {
            throw .unreadable(path: name, reason: "the default environment could not be built: \(error)")
        }
    }
}
