/// The debugging information entries of an ELF file's `.debug_info`, read
/// with its `.debug_abbrev` and string sections: enough to find structure
/// layouts, enumerations and global variables by name (see `DWARFInfo+Types`).
///
/// DWARF 2 to 5, 32- and 64-bit, every form of DWARF 5 (values of forms that
/// point into other files or type units are kept opaque). Strings are read
/// from `.debug_str`, `.debug_line_str` and, through `.debug_str_offsets`,
/// by index. Every read is bounds-checked: a truncated or hostile section is
/// a `DWARFError`.
///
/// In a relocatable object (`gcc -c`), the `R_386_32` relocations of each
/// section (`.rel.debug_info`, …) are applied first, with symbols at their
/// section offsets: a variable's address is then its offset in its section.
public struct DWARFInfo: Sendable {
    /// The units, in `.debug_info` order.
    public private(set) var units: [DWARFUnit] = []
    /// Every entry, in `.debug_info` order.
    private(set) var entries: [DWARFEntry] = []
    private var indexByOffset: [Int: Int] = [:]
    /// Named types and variables by name (structures, unions, enumerations, typedefs, base types, variables).
    private var named: [String: [Int]] = [:]
    private let strings: ArraySlice<UInt8>?
    private let lineStrings: ArraySlice<UInt8>?
    private let stringOffsets: ArraySlice<UInt8>?
    private let addresses: ArraySlice<UInt8>?

    /// How deep `DW_FORM_indirect` may nest before the entry is called malformed.
    private static let indirectLimit = 4

    /// Reads the DWARF sections of `elf` (`.debug_info` and `.debug_abbrev` are required).
    public init(elf: ELF32File) throws(DWARFError) {
        func section(_ name: String) throws(DWARFError) -> ArraySlice<UInt8>? {
            guard let header = elf.sections.first(where: { $0.name == name }) else { return nil }
            guard header.flags & 0x800 == 0 else { throw .unsupported("\(name) is compressed (SHF_COMPRESSED)") }
            guard !header.hasNoBits else { return [] }
            // ELF32File checked every section's range against the file.
            let contents = elf.contents(of: header)
            guard elf.isRelocatable,
                  let relocations = elf.sections.first(where: { $0.name == ".rel" + name && $0.type == 9 }) else { return contents }
            return try Self.relocated(contents, by: elf.contents(of: relocations), symbols: elf.symbols, name: name)
        }
        guard let info = try section(".debug_info") else { throw .missingSection(".debug_info") }
        guard let abbreviations = try section(".debug_abbrev") else { throw .missingSection(".debug_abbrev") }
        try self.init(info: info, abbreviations: abbreviations, strings: try section(".debug_str"),
                      lineStrings: try section(".debug_line_str"), stringOffsets: try section(".debug_str_offsets"),
                      addresses: try section(".debug_addr"))
    }

    /// Reads the sections given as bytes (the optional ones nil when the file has none).
    public init(info: ArraySlice<UInt8>, abbreviations: ArraySlice<UInt8>, strings: ArraySlice<UInt8>? = nil,
                lineStrings: ArraySlice<UInt8>? = nil, stringOffsets: ArraySlice<UInt8>? = nil,
                addresses: ArraySlice<UInt8>? = nil) throws(DWARFError) {
        self.strings = strings
        self.lineStrings = lineStrings
        self.stringOffsets = stringOffsets
        self.addresses = addresses
        var tables: [Int: DWARFAbbreviations] = [:]
        var stringCache: [Int: String] = [:]
        var cursor = DWARFCursor(info, section: ".debug_info")
        while !cursor.isAtEnd {
            try readUnit(&cursor, abbreviations: abbreviations, tables: &tables, stringCache: &stringCache)
        }
        for (index, entry) in entries.enumerated() where Self.indexedTags.contains(entry.tag) {
            if let name = name(of: entry) { named[name, default: []].append(index) }
        }
    }

    /// `section` with the `R_386_32` entries of its SHT_REL section applied (S + A, the addend in place).
    private static func relocated(_ section: ArraySlice<UInt8>, by relocations: ArraySlice<UInt8>,
                                  symbols: [ELFSymbol], name: String) throws(DWARFError) -> ArraySlice<UInt8> {
        var bytes = Array(section)
        var reader = DWARFCursor(relocations, section: ".rel" + name)
        while reader.end - reader.offset >= 8 {
            let offset = Int(try reader.u32())
            let info = try reader.u32()
            guard info & 0xFF == 1 else { continue }  // R_386_32; the rest do not occur in debug sections
            let symbol = Int(info >> 8)
            guard symbols.indices.contains(symbol), offset <= bytes.count - 4 else {
                throw .malformed("relocation at .rel\(name) offset \(reader.offset - 8) is outside its section or symbols")
            }
            var patch = DWARFCursor(bytes[...], section: name, offset: offset)
            let value = try patch.u32() &+ symbols[symbol].value
            for index in 0..<4 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(index))) }
        }
        return bytes[...]
    }

    private static let indexedTags: Set<UInt64> = [
        DWARFTag.structureType, DWARFTag.unionType, DWARFTag.classType, DWARFTag.enumerationType,
        DWARFTag.typedef, DWARFTag.baseType, DWARFTag.variable,
    ]

    // MARK: Units and entries

    private mutating func readUnit(_ cursor: inout DWARFCursor, abbreviations: ArraySlice<UInt8>,
                                   tables: inout [Int: DWARFAbbreviations],
                                   stringCache: inout [Int: String]) throws(DWARFError) {
        let unitOffset = cursor.offset
        var length = UInt64(try cursor.u32())
        var offsetSize = 4
        if length == 0xFFFF_FFFF {
            length = try cursor.u64()
            offsetSize = 8
        } else if length >= 0xFFFF_FFF0 {
            throw .malformed("unit at .debug_info offset \(unitOffset) has reserved length 0x\(String(length, radix: 16))")
        }
        let contentStart = cursor.offset
        guard length <= UInt64(cursor.end - contentStart) else {
            throw .truncated(section: ".debug_info", offset: cursor.end)
        }
        let unitEnd = contentStart + Int(length)
        cursor.end = unitEnd
        defer {
            cursor.offset = unitEnd
            cursor.end = cursor.bytes.count
        }
        let version = Int(try cursor.u16())
        guard (2...5).contains(version) else {
            throw .unsupported("unit at .debug_info offset \(unitOffset) has version \(version) (2 to 5 are read)")
        }
        let abbreviationOffset: Int
        let addressSize: Int
        if version >= 5 {
            let unitType = try cursor.u8()
            addressSize = Int(try cursor.u8())
            abbreviationOffset = try cursor.sectionOffset(size: offsetSize)
            switch unitType {
            case 0x01, 0x03: break                                // compile, partial
            case 0x02, 0x06: try cursor.skip(8 + offsetSize)       // type, split type: signature, type offset
            case 0x04, 0x05: try cursor.skip(8)                    // skeleton, split compile: DWO id
            default: throw .unsupported("unit type \(unitType) at .debug_info offset \(unitOffset)")
            }
        } else {
            abbreviationOffset = try cursor.sectionOffset(size: offsetSize)
            addressSize = Int(try cursor.u8())
        }
        guard addressSize == 2 || addressSize == 4 || addressSize == 8 else {
            throw .malformed("unit at .debug_info offset \(unitOffset) has address size \(addressSize)")
        }
        let table: DWARFAbbreviations
        if let cached = tables[abbreviationOffset] {
            table = cached
        } else {
            guard abbreviationOffset < abbreviations.count else {
                throw .truncated(section: ".debug_abbrev", offset: abbreviationOffset)
            }
            table = try DWARFAbbreviations(section: abbreviations, offset: abbreviationOffset)
            tables[abbreviationOffset] = table
        }
        var unit = DWARFUnit(offset: unitOffset, version: version, addressSize: addressSize, offsetSize: offsetSize)
        let unitIndex = units.count
        var parents: [Int] = []
        var isFirst = true
        while !cursor.isAtEnd {
            let entryOffset = cursor.offset
            let code = try cursor.uleb()
            if code == 0 {
                if !parents.isEmpty { parents.removeLast() }
                continue
            }
            guard let declaration = table[code] else {
                throw .malformed("entry at .debug_info offset \(entryOffset) uses abbreviation \(code), which its table lacks")
            }
            var attributes: [DWARFEntry.Attribute] = []
            attributes.reserveCapacity(declaration.attributes.count)
            for specification in declaration.attributes {
                let value = try readValue(&cursor, form: specification.form, specification: specification, unit: unit,
                                          stringCache: &stringCache, depth: 0)
                attributes.append(DWARFEntry.Attribute(name: specification.attribute, value: value))
            }
            let entry = DWARFEntry(offset: entryOffset, tag: declaration.tag, unit: unitIndex, attributes: attributes)
            if isFirst {
                // The unit's root: its bases serve the indexed forms of every entry in the unit.
                if let base = entry.value(DWARFAttribute.stringOffsetsBase)?.unsignedValue { unit.stringOffsetsBase = Int(exactly: base) }
                if let base = entry.value(DWARFAttribute.addressBase)?.unsignedValue { unit.addressBase = Int(exactly: base) }
                isFirst = false
            }
            let index = entries.count
            entries.append(entry)
            indexByOffset[entryOffset] = index
            if let parent = parents.last { entries[parent].children.append(index) }
            if declaration.hasChildren { parents.append(index) }
        }
        units.append(unit)
    }

    private func readValue(_ cursor: inout DWARFCursor, form: UInt64, specification: DWARFAbbreviations.Specification,
                           unit: DWARFUnit, stringCache: inout [Int: String], depth: Int) throws(DWARFError) -> DWARFValue {
        func reference(_ value: UInt64) throws(DWARFError) -> DWARFValue {
            guard let relative = Int(exactly: value), relative <= Int.max - unit.offset else {
                throw .malformed("reference 0x\(String(value, radix: 16)) at .debug_info offset \(cursor.offset)")
            }
            return .reference(unit.offset + relative)
        }
        func block(_ length: UInt64) throws(DWARFError) -> DWARFValue {
            guard let count = Int(exactly: length) else { throw .truncated(section: ".debug_info", offset: cursor.offset) }
            return .block(try cursor.bytes(count))
        }
        func string(in section: ArraySlice<UInt8>?, named name: String, at offset: Int,
                    cache: inout [Int: String]) throws(DWARFError) -> DWARFValue {
            guard let section else { throw .missingSection(name) }
            if name == ".debug_str", let cached = cache[offset] { return .string(cached) }
            guard offset < section.count else { throw .truncated(section: name, offset: offset) }
            var reader = DWARFCursor(section, section: name, offset: offset)
            let text = try reader.cString()
            if name == ".debug_str" { cache[offset] = text }
            return .string(text)
        }
        switch form {
        case DWARFForm.address: return .unsigned(try cursor.unsigned(size: unit.addressSize))
        case DWARFForm.block1: return try block(UInt64(try cursor.u8()))
        case DWARFForm.block2: return try block(UInt64(try cursor.u16()))
        case DWARFForm.block4: return try block(UInt64(try cursor.u32()))
        case DWARFForm.block, DWARFForm.expressionLocation: return try block(try cursor.uleb())
        case DWARFForm.data1, DWARFForm.flag: return .unsigned(UInt64(try cursor.u8()))
        case DWARFForm.data2: return .unsigned(UInt64(try cursor.u16()))
        case DWARFForm.data4: return .unsigned(UInt64(try cursor.u32()))
        case DWARFForm.data8: return .unsigned(try cursor.u64())
        case DWARFForm.data16:
            try cursor.skip(16)
            return .opaque
        case DWARFForm.sdata: return .signed(try cursor.sleb())
        case DWARFForm.udata: return .unsigned(try cursor.uleb())
        case DWARFForm.flagPresent: return .unsigned(1)
        case DWARFForm.implicitConst: return .signed(specification.implicitConstant)
        case DWARFForm.string: return .string(try cursor.cString())
        case DWARFForm.strp:
            return try string(in: strings, named: ".debug_str", at: try cursor.sectionOffset(size: unit.offsetSize),
                              cache: &stringCache)
        case DWARFForm.lineStrp:
            return try string(in: lineStrings, named: ".debug_line_str",
                              at: try cursor.sectionOffset(size: unit.offsetSize), cache: &stringCache)
        case DWARFForm.strx, DWARFForm.gnuStringIndex: return .stringIndex(try cursor.uleb())
        case DWARFForm.strx1: return .stringIndex(try cursor.unsigned(size: 1))
        case DWARFForm.strx2: return .stringIndex(try cursor.unsigned(size: 2))
        case DWARFForm.strx3: return .stringIndex(try cursor.unsigned(size: 3))
        case DWARFForm.strx4: return .stringIndex(try cursor.unsigned(size: 4))
        case DWARFForm.addrx, DWARFForm.gnuAddressIndex: return .addressIndex(try cursor.uleb())
        case DWARFForm.addrx1: return .addressIndex(try cursor.unsigned(size: 1))
        case DWARFForm.addrx2: return .addressIndex(try cursor.unsigned(size: 2))
        case DWARFForm.addrx3: return .addressIndex(try cursor.unsigned(size: 3))
        case DWARFForm.addrx4: return .addressIndex(try cursor.unsigned(size: 4))
        case DWARFForm.reference1: return try reference(try cursor.unsigned(size: 1))
        case DWARFForm.reference2: return try reference(try cursor.unsigned(size: 2))
        case DWARFForm.reference4: return try reference(try cursor.unsigned(size: 4))
        case DWARFForm.reference8: return try reference(try cursor.unsigned(size: 8))
        case DWARFForm.referenceUData: return try reference(try cursor.uleb())
        case DWARFForm.referenceAddress:
            // DWARF 2 wrote it in an address's size, later versions in an offset's.
            let size = unit.version == 2 ? unit.addressSize : unit.offsetSize
            return .reference(try cursor.sectionOffset(size: size))
        case DWARFForm.sectionOffset: return .unsigned(try cursor.unsigned(size: unit.offsetSize))
        case DWARFForm.loclistx, DWARFForm.rnglistx: return .unsigned(try cursor.uleb())
        case DWARFForm.referenceSignature8, DWARFForm.referenceSupplementary8:
            try cursor.skip(8)
            return .opaque
        case DWARFForm.referenceSupplementary4:
            try cursor.skip(4)
            return .opaque
        case DWARFForm.strpSupplementary, DWARFForm.gnuReferenceAlternate, DWARFForm.gnuStrpAlternate:
            try cursor.skip(unit.offsetSize)
            return .opaque
        case DWARFForm.indirect:
            guard depth < Self.indirectLimit else { throw .malformed("DW_FORM_indirect nested \(depth + 1) deep") }
            let actual = try cursor.uleb()
            guard actual != DWARFForm.implicitConst else { throw .malformed("DW_FORM_indirect naming DW_FORM_implicit_const") }
            return try readValue(&cursor, form: actual, specification: specification, unit: unit,
                                 stringCache: &stringCache, depth: depth + 1)
        default:
            throw .unsupported("form 0x\(String(form, radix: 16)) at .debug_info offset \(cursor.offset)")
        }
    }

    // MARK: Reading values

    /// The entry at `offset` of `.debug_info`, if one starts there.
    func entry(at offset: Int) -> DWARFEntry? {
        indexByOffset[offset].map { entries[$0] }
    }

    /// Indexes of the named types and variables called `name`.
    func entries(named name: String) -> [Int] { named[name] ?? [] }

    /// The entry's name (`DW_AT_name`), resolving indexed strings.
    func name(of entry: DWARFEntry) -> String? {
        guard let value = entry.value(DWARFAttribute.name) else { return nil }
        return string(value, unit: entry.unit)
    }

    /// A string value, read through `.debug_str_offsets` when it is an index.
    func string(_ value: DWARFValue, unit: Int) -> String? {
        switch value {
        case .string(let text): return text
        case .stringIndex(let index):
            guard let stringOffsets, let strings, units.indices.contains(unit) else { return nil }
            let size = units[unit].offsetSize
            // Without DW_AT_str_offsets_base, the first contribution (after its 8- or 16-byte header).
            let base = units[unit].stringOffsetsBase ?? (size == 4 ? 8 : 16)
            guard let position = Int(exactly: index), position <= (Int.max - base) / size else { return nil }
            var reader = DWARFCursor(stringOffsets, section: ".debug_str_offsets", offset: base + position * size)
            guard let offset = try? reader.sectionOffset(size: size), offset < strings.count else { return nil }
            var text = DWARFCursor(strings, section: ".debug_str", offset: offset)
            return try? text.cString()
        default: return nil
        }
    }

    /// An address value, read through `.debug_addr` when it is an index.
    func address(_ value: DWARFValue, unit: Int) -> UInt64? {
        switch value {
        case .unsigned(let address): return address
        case .addressIndex(let index): return indexedAddress(index, unit: unit)
        default: return nil
        }
    }

    /// Entry `index` of the unit's `.debug_addr` contribution.
    func indexedAddress(_ index: UInt64, unit: Int) -> UInt64? {
        guard let addresses, units.indices.contains(unit) else { return nil }
        let size = units[unit].addressSize
        let base = units[unit].addressBase ?? 8
        guard let position = Int(exactly: index), position <= (Int.max - base) / size else { return nil }
        var reader = DWARFCursor(addresses, section: ".debug_addr", offset: base + position * size)
        return try? reader.unsigned(size: size)
    }
}
