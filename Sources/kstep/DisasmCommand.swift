import ArgumentParser
import Images
import X86Decoding

/// `kstep disasm`: Capstone disassembly of hex bytes, an ELF image or an assembly source.
struct DisasmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disasm",
        abstract: "Disassemble hex bytes, an ELF32 image's executable sections, or a .s/.S file.")

    @OptionGroup var source: InputOptions

    @Option(help: "Address of the first byte for --hex and raw inputs (default 0x00100000).")
    var at: String?

    @Option(help: "Assembly syntax: att or intel.")
    var syntax: AssemblySyntax = .att

    func run() throws {
        try source.check()
        let decoder: X86Decoder
        do {
            decoder = try X86Decoder(syntax: syntax)
        } catch {
            throw fail("\(error)")
        }
        var origin = GNUToolchain.defaultLoadAddress
        if let text = at ?? source.loadAt {
            guard let value = parseNumber(text) else { throw fail("--at: '\(text)' is not a number") }
            origin = value
        }

        do throws(ImageError) {
            if let hex = source.hex {
                printListing(decoder.decodeAll(try HexBytes.parse(hex), address: origin), symbols: SymbolTable([]))
                return
            }
            let elf: ELF32File
            if let asm = source.asm {
                elf = try GNUToolchain.assemble(text: asm)
            } else if let path = source.input, source.loadAt != nil {
                printListing(decoder.decodeAll(try InputFile.read(path), address: origin), symbols: SymbolTable([]))
                return
            } else {
                elf = try InputFile.loadELF(source.input ?? "")
            }
            let symbols = SymbolTable(elf.symbols)
            var first = true
            for section in elf.sections where section.isExecutable && !section.hasNoBits && section.size > 0 {
                if !first { print("") }
                first = false
                print("Disassembly of section \(section.name):")
                let code = Array(elf.contents(of: section))
                printListing(decoder.decodeAll(code, address: section.address), symbols: symbols)
            }
        } catch {
            throw fail("\(error)")
        }
    }

    /// One line per instruction, objdump-style, with `<symbol>:` headers and
    /// symbolized branch targets.
    private func printListing(_ results: [Result<DecodedInstruction, DecodeError>], symbols: SymbolTable) {
        for result in results {
            switch result {
            case .success(let instruction):
                if let label = symbols.label(at: instruction.address) {
                    print("\n\(hex32(instruction.address)) <\(label)>:")
                }
                let bytes = instruction.bytes.map { byteText($0) }.joined(separator: " ")
                let text = symbols.annotatedText(instruction)
                print("  \(hex32(instruction.address)):  \(bytes.padding(to: 30))\(text)")
            case .failure(.invalidInstruction(let address, let bytes)), .failure(.tooLong(let address, let bytes)):
                let text = bytes.map { byteText($0) }.joined(separator: " ")
                print("  \(hex32(address)):  \(text.padding(to: 30))(bad)")
            case .failure(.empty):
                break
            }
        }
    }

    private func byteText(_ byte: UInt8) -> String {
        byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
    }
}

extension AssemblySyntax: ExpressibleByArgument {}

extension String {
    func padding(to width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
