import Images
import Testing

/// Truncated, corrupted and hand-made hostile DWARF: an error or a partial
/// answer, never a crash or a hang.
@Suite struct DWARFHostileInputTests {
    /// A unit header of `version` (4 or 5) around `body`, for a 4-byte-address machine.
    static func unit(version: UInt16, body: [UInt8], abbreviationOffset: UInt32 = 0) -> [UInt8] {
        var header: [UInt8] = []
        func put16(_ value: UInt16) { header += [UInt8(value & 0xFF), UInt8(value >> 8)] }
        func put32(_ value: UInt32) { for shift in stride(from: 0, to: 32, by: 8) { header.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) } }
        put16(version)
        if version >= 5 {
            header += [0x01, 4]  // DW_UT_compile, address size
            put32(abbreviationOffset)
        } else {
            put32(abbreviationOffset)
            header.append(4)
        }
        let content = header + body
        var length: [UInt8] = []
        for shift in stride(from: 0, to: 32, by: 8) { length.append(UInt8(truncatingIfNeeded: UInt32(content.count) >> UInt32(shift))) }
        return length + content
    }

    /// Abbreviations: 1 compile unit (children), 2 typedef (name: string, type: ref4), 3 base type (name, byte_size data1).
    static let abbreviations: [UInt8] = [
        1, 0x11, 1, 0, 0,
        2, 0x16, 0, 0x03, 0x08, 0x49, 0x13, 0, 0,
        3, 0x24, 0, 0x03, 0x08, 0x0B, 0x0B, 0, 0,
        0,
    ]

    @Test func aTypedefThatNamesItselfHasNoSize() throws {
        // Unit header is 11 bytes (4 length + 2 version + 4 abbrev + 1 address size); the root at 11, the typedef at 12.
        let body: [UInt8] = [1, 2] + Array("loop".utf8) + [0, 12, 0, 0, 0, 0]
        let dwarf = try DWARFInfo(info: Self.unit(version: 4, body: body)[...], abbreviations: Self.abbreviations[...])
        #expect(dwarf.size(ofType: 12) == nil)
        #expect(dwarf.structure(ofType: 12) == nil)
        #expect(dwarf.size(ofType: 9999) == nil)
    }

    @Test func aTypedefChainResolves() throws {
        let body: [UInt8] = [1, 2] + Array("word".utf8) + [0, 22, 0, 0, 0] + [3] + Array("int".utf8) + [0, 4, 0]
        let dwarf = try DWARFInfo(info: Self.unit(version: 4, body: body)[...], abbreviations: Self.abbreviations[...])
        #expect(dwarf.size(ofType: 12) == 4)
    }

    @Test(arguments: [
        (Self.unit(version: 6, body: [1, 0]), "unsupported"),
        (Self.unit(version: 4, body: [7, 0]), "malformed"),                    // no abbreviation 7
        (Self.unit(version: 4, body: [1, 0], abbreviationOffset: 500), "truncated"),
        ([0xF0, 0xFF, 0xFF, 0xFF, 4, 0], "malformed"),                           // reserved unit length
        ([0x40, 0, 0, 0, 4, 0, 0, 0, 0, 0, 4], "truncated"),                     // length past the section
        (Self.unit(version: 4, body: [1, 2] + Array("open".utf8)), "truncated"), // a string without its NUL
        (Self.unit(version: 4, body: [1, 2, 0, 1, 2]), "truncated"),             // a ref4 cut short
    ] as [([UInt8], String)])
    func badUnitsAreErrors(info: [UInt8], kind: String) {
        do {
            _ = try DWARFInfo(info: info[...], abbreviations: Self.abbreviations[...])
            Issue.record("no error for \(info)")
        } catch {
            let name = switch error {
            case .unsupported: "unsupported"
            case .malformed: "malformed"
            case .truncated: "truncated"
            case .missingSection: "missing"
            }
            #expect(name == kind, "\(error)")
        }
    }

    @Test func badAbbreviationTablesAreErrors() {
        let info = Self.unit(version: 4, body: [1, 0])[...]
        for table: [UInt8] in [[1, 0x11, 2, 0, 0, 0], [1, 0x11], [1, 0x11, 1, 0, 0, 1, 0x11, 1, 0, 0, 0],
                               [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7F]] {
            #expect(throws: DWARFError.self) { try DWARFInfo(info: info, abbreviations: table[...]) }
        }
    }

    @Test func stringFormsWithoutTheirSectionsAreErrors() {
        // Abbreviation 1: a compile unit whose name is DW_FORM_strp / DW_FORM_line_strp.
        for form: UInt8 in [0x0E, 0x1F] {
            let table: [UInt8] = [1, 0x11, 0, 0x03, form, 0, 0, 0]
            let info = Self.unit(version: 5, body: [1, 0, 0, 0, 0])
            #expect(throws: DWARFError.self) { try DWARFInfo(info: info[...], abbreviations: table[...]) }
            #expect(throws: DWARFError.self) {
                try DWARFInfo(info: info[...], abbreviations: table[...], strings: [0x41][...], lineStrings: [0x41][...])
            }
        }
    }

    /// Every prefix of a real object's .debug_info and .debug_abbrev, and seeded
    /// byte corruptions of both: each read ends, with an error or a result.
    @Test func truncationsAndCorruptionsOfARealObject() throws {
        guard let elf = try CompiledObject.compile(DWARFInfoTests.source, flags: ["-gdwarf-5"]) else { return }
        func section(_ name: String) throws -> ArraySlice<UInt8> {
            elf.contents(of: try #require(elf.sections.first { $0.name == name }))
        }
        let info = Array(try section(".debug_info")), abbreviations = Array(try section(".debug_abbrev"))
        let strings = try section(".debug_str"), lineStrings = try section(".debug_line_str")
        func read(_ info: [UInt8], _ abbreviations: [UInt8]) {
            if let dwarf = try? DWARFInfo(info: info[...], abbreviations: abbreviations[...], strings: strings,
                                          lineStrings: lineStrings) {
                _ = dwarf.structure(named: "outer").map { dwarf.member("in.b", of: $0) }
                _ = dwarf.variable(named: "table")
                _ = dwarf.enumeration(named: "color")
            }
        }
        for length in 0..<info.count { read(Array(info.prefix(length)), abbreviations) }
        for length in 0..<abbreviations.count { read(info, Array(abbreviations.prefix(length))) }
        var seed: UInt64 = 0x6B73_7465_7044_5746
        func next() -> UInt64 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return seed >> 33
        }
        for _ in 0..<2000 {
            var corruptInfo = info, corruptAbbreviations = abbreviations
            for _ in 0..<3 {
                if next() % 2 == 0 {
                    corruptInfo[Int(next() % UInt64(info.count))] = UInt8(truncatingIfNeeded: next())
                } else {
                    corruptAbbreviations[Int(next() % UInt64(abbreviations.count))] = UInt8(truncatingIfNeeded: next())
                }
            }
            read(corruptInfo, corruptAbbreviations)
        }
    }
}
