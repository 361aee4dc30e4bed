/// A parsed ELF32 little-endian i386 file (executable or relocatable).
///
/// Every offset and count is checked against the file before it is used, so a
/// truncated or hostile file is an `ImageError`, never a crash.
public struct ELF32File: Sendable {
    /// A program header (`PT_LOAD` segments are what a loader maps).
    public struct Segment: Sendable, Equatable {
        public var type: UInt32
        public var fileOffset: UInt32
        public var virtualAddress: UInt32
        /// p_paddr: where a loader that knows physical memory (Multiboot) puts it.
        public var physicalAddress: UInt32
        public var fileSize: UInt32
        public var memorySize: UInt32
        /// PF_X = 1, PF_W = 2, PF_R = 4.
        public var flags: UInt32
        public var isLoadable: Bool { type == 1 }
        public var isExecutable: Bool { flags & 1 != 0 }
        public var isWritable: Bool { flags & 2 != 0 }
    }

    /// A section header.
    public struct Section: Sendable, Equatable {
        public var name: String
        public var type: UInt32
        public var flags: UInt32
        public var address: UInt32
        public var fileOffset: UInt32
        public var size: UInt32
        public var link: UInt32
        public var entrySize: UInt32
        /// SHF_EXECINSTR.
        public var isExecutable: Bool { flags & 0x4 != 0 }
        /// SHT_NOBITS (.bss): no bytes in the file.
        public var hasNoBits: Bool { type == 8 }
    }

    /// The name used in error messages.
    public let path: String
    /// The whole file.
    public let bytes: [UInt8]
    /// ET_REL = 1, ET_EXEC = 2, ET_DYN = 3.
    public let fileType: UInt16
    /// The entry point.
    public let entry: UInt32
    public let segments: [Segment]
    public let sections: [Section]
    public let symbols: [ELFSymbol]

    /// True for a relocatable object (`.o`): addresses are section offsets.
    public var isRelocatable: Bool { fileType == 1 }

    /// Parses `bytes`; `path` names the input in errors.
    public init(bytes: [UInt8], path: String) throws(ImageError) {
        self.path = path
        self.bytes = bytes
        let reader = ByteReader(bytes: bytes, path: path)
        guard bytes.count >= 52 else { throw reader.error("file is \(bytes.count) bytes, shorter than an ELF header") }
        guard bytes[0] == 0x7F, bytes[1] == 0x45, bytes[2] == 0x4C, bytes[3] == 0x46 else {
            throw reader.error("no ELF magic")
        }
        guard bytes[4] == 1 else { throw reader.error("ELF class \(bytes[4]) is not ELFCLASS32") }
        guard bytes[5] == 1 else { throw reader.error("data encoding \(bytes[5]) is not little-endian") }
        let machine = try reader.u16(18)
        guard machine == 3 else { throw reader.error("machine \(machine) is not EM_386 (3)") }
        fileType = try reader.u16(16)
        entry = try reader.u32(24)

        let programOffset = try reader.u32(28)
        let programEntrySize = try reader.u16(42)
        let programCount = try reader.u16(44)
        if programCount > 0 && programEntrySize < 32 {
            throw reader.error("program header entry size \(programEntrySize) is too small")
        }
        try reader.checkTable(programOffset, count: programCount, entrySize: programEntrySize, what: "program header table")
        var segments: [Segment] = []
        for index in 0..<Int(programCount) {
            let at = try reader.offset(programOffset, plus: index, times: programEntrySize, length: 32,
                                       what: "program header \(index)")
            let segment = Segment(
                type: try reader.u32(at), fileOffset: try reader.u32(at + 4),
                virtualAddress: try reader.u32(at + 8), physicalAddress: try reader.u32(at + 12),
                fileSize: try reader.u32(at + 16),
                memorySize: try reader.u32(at + 20), flags: try reader.u32(at + 24))
            if segment.isLoadable {
                _ = try reader.range(segment.fileOffset, segment.fileSize, what: "segment \(index) data")
                guard segment.fileSize <= segment.memorySize else {
                    throw reader.error("segment \(index) has file size 0x\(hex(segment.fileSize)) above memory size 0x\(hex(segment.memorySize))")
                }
                guard UInt64(segment.virtualAddress) + UInt64(segment.memorySize) <= 0x1_0000_0000,
                      UInt64(segment.physicalAddress) + UInt64(segment.memorySize) <= 0x1_0000_0000 else {
                    throw reader.error("segment \(index) runs past the 4 GB address space")
                }
            }
            segments.append(segment)
        }
        let loadable = segments.filter(\.isLoadable).sorted { $0.virtualAddress < $1.virtualAddress }
        for (low, high) in zip(loadable, loadable.dropFirst())
        where UInt64(low.virtualAddress) + UInt64(low.memorySize) > UInt64(high.virtualAddress) {
            throw reader.error("segments at 0x\(hex(low.virtualAddress)) and 0x\(hex(high.virtualAddress)) overlap")
        }
        self.segments = segments

        let sectionOffset = try reader.u32(32)
        let sectionEntrySize = try reader.u16(46)
        let sectionCount = try reader.u16(48)
        let nameSectionIndex = try reader.u16(50)
        if sectionCount > 0 && sectionEntrySize < 40 {
            throw reader.error("section header entry size \(sectionEntrySize) is too small")
        }
        try reader.checkTable(sectionOffset, count: sectionCount, entrySize: sectionEntrySize, what: "section header table")
        var raw: [(nameOffset: UInt32, section: Section)] = []
        for index in 0..<Int(sectionCount) {
            let at = try reader.offset(sectionOffset, plus: index, times: sectionEntrySize, length: 40,
                                       what: "section header \(index)")
            let section = Section(
                name: "", type: try reader.u32(at + 4), flags: try reader.u32(at + 8),
                address: try reader.u32(at + 12), fileOffset: try reader.u32(at + 16),
                size: try reader.u32(at + 20), link: try reader.u32(at + 24), entrySize: try reader.u32(at + 36))
            if !section.hasNoBits && section.type != 0 {
                _ = try reader.range(section.fileOffset, section.size, what: "section \(index) data")
            }
            raw.append((try reader.u32(at), section))
        }
        var sections: [Section] = []
        let names = Int(nameSectionIndex) < raw.count ? raw[Int(nameSectionIndex)].section : nil
        for (nameOffset, section) in raw {
            var named = section
            if let names { named.name = try reader.string(in: names, at: nameOffset) }
            sections.append(named)
        }
        self.sections = sections

        var symbols: [ELFSymbol] = []
        for table in sections where table.type == 2 {  // SHT_SYMTAB
            guard Int(table.link) < sections.count else { throw reader.error("symbol table links to missing section \(table.link)") }
            let strings = sections[Int(table.link)]
            let count = Int(table.size / 16)
            for index in 0..<count {
                let at = Int(table.fileOffset) + index * 16
                let info = try reader.u8(at + 12)
                let kind: ELFSymbol.Kind = switch info & 0xF {
                case 1: .object
                case 2: .function
                case 3: .section
                case 4: .file
                default: .other
                }
                symbols.append(ELFSymbol(
                    name: try reader.string(in: strings, at: try reader.u32(at)),
                    value: try reader.u32(at + 4), size: try reader.u32(at + 8), kind: kind,
                    isGlobal: info >> 4 == 1 || info >> 4 == 2, sectionIndex: try reader.u16(at + 14)))
            }
        }
        self.symbols = symbols
    }

    /// The bytes of a section (empty for .bss).
    public func contents(of section: Section) -> ArraySlice<UInt8> {
        guard !section.hasNoBits else { return [] }
        let start = Int(section.fileOffset)
        return bytes[start..<(start + Int(section.size))]
    }

    /// The file bytes of a segment.
    public func contents(of segment: Segment) -> ArraySlice<UInt8> {
        let start = Int(segment.fileOffset)
        return bytes[start..<(start + Int(segment.fileSize))]
    }
}

/// Bounds-checked little-endian reads from a file's bytes.
private struct ByteReader {
    let bytes: [UInt8]
    let path: String

    func error(_ reason: String) -> ImageError { .malformedELF(path: path, reason: reason) }

    func u8(_ at: Int) throws(ImageError) -> UInt8 {
        guard at >= 0, at < bytes.count else { throw error("read at offset \(at) is past the end of the file") }
        return bytes[at]
    }

    func u16(_ at: Int) throws(ImageError) -> UInt16 {
        UInt16(try u8(at)) | UInt16(try u8(at + 1)) << 8
    }

    func u32(_ at: Int) throws(ImageError) -> UInt32 {
        UInt32(try u16(at)) | UInt32(try u16(at + 2)) << 16
    }

    /// The offset of table entry `index`, checked to lie inside the file.
    func offset(_ base: UInt32, plus index: Int, times entrySize: UInt16, length: Int,
                what: String) throws(ImageError) -> Int {
        let at = Int(base) + index * Int(entrySize)
        guard at + length <= bytes.count else { throw error("\(what) at offset \(at) is past the end of the file") }
        return at
    }

    /// Checks that a header table of `count` entries lies inside the file.
    func checkTable(_ offset: UInt32, count: UInt16, entrySize: UInt16, what: String) throws(ImageError) {
        guard count > 0 else { return }
        let end = UInt64(offset) + UInt64(count) * UInt64(entrySize)
        guard end <= UInt64(bytes.count) else {
            throw error("\(what) (\(count) entries of \(entrySize) bytes at offset \(offset)) runs past the end of the file (\(bytes.count) bytes)")
        }
    }

    /// `offset..<offset+size`, checked to lie inside the file.
    func range(_ offset: UInt32, _ size: UInt32, what: String) throws(ImageError) -> Range<Int> {
        let end = UInt64(offset) + UInt64(size)
        guard end <= UInt64(bytes.count) else {
            throw error("\(what) (offset 0x\(hex(offset)), size 0x\(hex(size))) runs past the end of the file (\(bytes.count) bytes)")
        }
        return Int(offset)..<Int(end)
    }

    /// A NUL-terminated string inside a string-table section.
    func string(in table: ELF32File.Section, at offset: UInt32) throws(ImageError) -> String {
        guard offset < table.size else {
            if offset == 0 { return "" }
            throw error("string offset \(offset) is outside its string table")
        }
        let start = Int(table.fileOffset) + Int(offset)
        let end = Int(table.fileOffset) + Int(table.size)
        guard end <= bytes.count else { throw error("string table runs past the end of the file") }
        let slice = bytes[start..<end]
        return String(decoding: slice.prefix(while: { $0 != 0 }), as: UTF8.self)
    }
}

/// Eight lowercase hex digits, no prefix.
func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}
