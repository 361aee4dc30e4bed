import Images
import Testing

/// The ELF32 reader on a real image and on hostile mutations of it.
@Suite struct ELF32FileTests {
    static func image() throws -> ELF32File {
        try GNUToolchain.assemble(text: """
            .globl main_entry
            .type main_entry, @function
            main_entry: movl $1, %eax
            hlt
            .size main_entry, . - main_entry
            .data
            value: .long 0x12345678
            """)
    }

    @Test func readsSegmentsSectionsAndSymbols() throws {
        let elf = try Self.image()
        #expect(elf.entry == 0x0010_0000)
        #expect(!elf.isRelocatable)
        let text = try #require(elf.sections.first { $0.name == ".text" })
        #expect(text.isExecutable && text.address == 0x0010_0000)
        #expect(Array(elf.contents(of: text)) == [0xB8, 1, 0, 0, 0, 0xF4])
        let symbols = SymbolTable(elf.symbols)
        let entry = try #require(symbols.symbol(named: "main_entry"))
        #expect(entry.kind == .function && entry.size == 6 && entry.isGlobal)
        #expect(symbols.locate(0x0010_0005)?.name == "main_entry")
        #expect(symbols.locate(0x0010_0005)?.offset == 5)
        #expect(elf.segments.contains { $0.isLoadable && $0.isExecutable && $0.virtualAddress == 0x0010_0000 })
    }

    /// Patches a little-endian field of the image's bytes.
    static func mutated(_ bytes: [UInt8], at offset: Int, _ value: UInt32, width: Int) -> [UInt8] {
        var copy = bytes
        for index in 0..<width { copy[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(index))) }
        return copy
    }

    @Test(arguments: [
        (44, 0xFFFF as UInt32, 2, "past the end of the file"),       // e_phnum huge
        (48, 0xFFFF as UInt32, 2, "past the end of the file"),       // e_shnum huge
        (28, 0x7FFF_FFF0 as UInt32, 4, "past the end of the file"),  // e_phoff past the end
        (32, 0x7FFF_FFF0 as UInt32, 4, "past the end of the file"),  // e_shoff past the end
        (18, 40 as UInt32, 2, "is not EM_386"),                     // EM_ARM
        (4, 2 as UInt32, 1, "is not ELFCLASS32"),
        (5, 2 as UInt32, 1, "is not little-endian"),
        (42, 8 as UInt32, 2, "entry size 8 is too small"),
    ])
    func hostileHeadersAreErrors(offset: Int, value: UInt32, width: Int, reason: String) throws {
        let bytes = Self.mutated(try Self.image().bytes, at: offset, value, width: width)
        do {
            _ = try ELF32File(bytes: bytes, path: "hostile.elf")
            Issue.record("accepted a hostile ELF")
        } catch {
            #expect(error.description.hasPrefix("hostile.elf: not a valid i386 ELF32 file"))
            #expect(error.description.contains(reason), "\(error.description)")
        }
    }

    @Test func segmentDataPastTheEndIsAnError() throws {
        let original = try Self.image()
        let programOffset = Int(original.bytes[28]) | Int(original.bytes[29]) << 8
        let bytes = Self.mutated(original.bytes, at: programOffset + 4, 0xFFFF_0000, width: 4)
        #expect(throws: ImageError.self) { try ELF32File(bytes: bytes, path: "x") }
    }

    @Test func overlappingSegmentsAreAnError() throws {
        let original = try Self.image()
        let programOffset = Int(original.bytes[28]) | Int(original.bytes[29]) << 8
        let entrySize = Int(original.bytes[42])
        let loads = original.segments.enumerated().filter { $0.element.isLoadable }
        try #require(loads.count >= 2)
        let second = programOffset + loads[1].offset * entrySize
        let bytes = Self.mutated(original.bytes, at: second + 8, loads[0].element.virtualAddress, width: 4)
        do {
            _ = try ELF32File(bytes: bytes, path: "overlap.elf")
            Issue.record("accepted overlapping segments")
        } catch {
            #expect(error.description.contains("overlap"))
        }
    }

    @Test func everyTruncationIsAnErrorNotACrash() throws {
        let bytes = try Self.image().bytes
        var rejected = 0
        for length in stride(from: 0, to: bytes.count, by: 7) {
            if (try? ELF32File(bytes: Array(bytes.prefix(length)), path: "t")) == nil { rejected += 1 }
        }
        #expect(rejected > 0)
    }

    @Test func hexParsing() throws {
        #expect(try HexBytes.parse("9c 55 89a0") == [0x9C, 0x55, 0x89, 0xA0])
        #expect(try HexBytes.parse("0x9c,0x55") == [0x9C, 0x55])
        #expect(try HexBytes.parse("\\x9c\\x55") == [0x9C, 0x55])
        #expect(throws: ImageError.badHex("no bytes given")) { try HexBytes.parse("  ") }
    }
}
