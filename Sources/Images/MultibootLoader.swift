import I386
import PC

/// Boots a Multiboot (version 1) kernel on a `PCPlatform`, as a Multiboot
/// loader (GRUB, QEMU's `-kernel`) would: finds the header in the first
/// 8 KB of the file, loads the ELF's PT_LOAD segments at their physical
/// addresses (or, with header flag 16, the a.out-kludge range the header
/// names), and enters the kernel in the state the specification prescribes —
/// EAX 0x2BADB002, EBX the physical address of the Multiboot information
/// (memory sizes and a memory map), flat 32-bit CS and data segments from a
/// small GDT, paging off, interrupts off, no IDT.
public enum MultibootLoader {
    /// The header's magic, and what EAX holds at entry.
    public static let headerMagic: UInt32 = 0x1BAD_B002
    public static let bootMagic: UInt32 = 0x2BAD_B002

    /// Where the loader's own structures go, below the first kernel byte (all in conventional memory).
    static let gdtAddress: UInt32 = 0x500
    static let informationAddress: UInt32 = 0x600
    static let memoryMapAddress: UInt32 = 0x700
    static let loaderNameAddress: UInt32 = 0x800
    /// esp at entry (the specification leaves it undefined; kernels set their own).
    static let initialStack: UInt32 = 0x7C00

    /// The header fields kstep acts on.
    struct Header {
        var offset: Int
        var flags: UInt32
        var headerAddress: UInt32 = 0
        var loadAddress: UInt32 = 0
        var loadEndAddress: UInt32 = 0
        var bssEndAddress: UInt32 = 0
        var entryAddress: UInt32 = 0
        /// Bit 16: the a.out-kludge addresses are valid (use them instead of the ELF headers).
        var usesAddressFields: Bool { flags & 0x1_0000 != 0 }
    }

    /// Finds the Multiboot header in the first 8 KB of `bytes` (4-byte aligned,
    /// magic + flags + checksum summing to zero).
    static func header(in bytes: [UInt8], path: String) throws(ImageError) -> Header {
        func word(_ offset: Int) -> UInt32 {
            guard offset + 4 <= bytes.count else { return 0 }
            return (0..<4).reduce(0) { $0 | UInt32(bytes[offset + $1]) << (8 * UInt32($1)) }
        }
        for offset in stride(from: 0, to: min(8192, bytes.count - 11), by: 4) where word(offset) == headerMagic {
            let flags = word(offset + 4)
            guard headerMagic &+ flags &+ word(offset + 8) == 0 else { continue }
            var header = Header(offset: offset, flags: flags)
            if header.usesAddressFields {
                guard offset + 32 <= bytes.count else {
                    throw .malformedELF(path: path, reason: "the Multiboot header's address fields run past the file")
                }
                header.headerAddress = word(offset + 12)
                header.loadAddress = word(offset + 16)
                header.loadEndAddress = word(offset + 20)
                header.bssEndAddress = word(offset + 24)
                header.entryAddress = word(offset + 28)
            }
            return header
        }
        throw .malformedELF(path: path, reason: "no Multiboot header (magic 0x1badb002 with a valid checksum) in its first 8 KB")
    }

    /// Loads `path` onto a new PC with `memorySize` bytes of RAM and returns it ready to run.
    public static func load(_ path: String, memorySize: UInt32 = PCPlatform.defaultMemorySize,
                            nanosecondsPerTick: UInt64 = 1) throws(ImageError) -> LoadedImage {
        let bytes = try InputFile.read(path)
        let header = try header(in: bytes, path: path)
        let platform = PCPlatform(memorySize: memorySize, nanosecondsPerTick: nanosecondsPerTick)
        let machine: Machine
        do {
            machine = try Machine()
        } catch {
            throw .toolMissing("Capstone (\(error))")
        }
        platform.attach(to: machine)
        let memory = machine.physicalMemory

        var symbols: [ELFSymbol] = []
        var file: ELF32File?
        let entry: UInt32
        if header.usesAddressFields {
            // The a.out kludge: the file from header_addr - (load_addr) on is the image.
            let fileStart = Int(header.headerAddress &- header.loadAddress)
            let start = header.offset - fileStart
            let loadEnd = header.loadEndAddress == 0 ? UInt32(bytes.count - start) &+ header.loadAddress : header.loadEndAddress
            guard start >= 0, header.loadAddress <= header.headerAddress, loadEnd >= header.loadAddress,
                  start + Int(loadEnd - header.loadAddress) <= bytes.count else {
                throw .malformedELF(path: path, reason: "the Multiboot header's load addresses do not fit the file")
            }
            try place(Array(bytes[start..<(start + Int(loadEnd - header.loadAddress))]), at: header.loadAddress,
                      memorySize: platform.memorySize, path: path, memory: memory)
            entry = header.entryAddress
        } else {
            let elf = try ELF32File(bytes: bytes, path: path)
            for segment in elf.segments where segment.isLoadable && segment.memorySize > 0 {
                guard UInt64(segment.physicalAddress) + UInt64(segment.memorySize) <= UInt64(platform.memorySize),
                      segment.physicalAddress >= PCPlatform.Layout.extendedMemory
                        || UInt64(segment.physicalAddress) + UInt64(segment.memorySize) <= UInt64(PCPlatform.Layout.conventionalEnd)
                else {
                    throw .malformedELF(path: path, reason: "segment at physical 0x\(hex(segment.physicalAddress)) "
                                        + "(0x\(hex(segment.memorySize)) bytes) is outside the PC's RAM (--memory)")
                }
                try place(Array(elf.contents(of: segment)), at: segment.physicalAddress,
                          memorySize: platform.memorySize, path: path, memory: memory)
            }
            entry = elf.entry
            symbols = elf.symbols
            file = elf
        }

        PCFirmware.install(in: memory)
        let information = informationStructure(memorySize: platform.memorySize)
        memory.load(information, at: informationAddress)
        memory.load(memoryMap(memorySize: platform.memorySize), at: memoryMapAddress)
        memory.load(Array("kstep".utf8) + [0], at: loaderNameAddress)
        memory.load(gdt(), at: gdtAddress)

        // The state at entry (Multiboot specification 3.2).
        machine.gdtr = TableRegister(base: gdtAddress, limit: 3 * 8 - 1)
        machine.idtr = TableRegister(base: 0, limit: 0)
        do {
            try machine.loadSegmentRegister(.cs, selector: 0x08)
            for segment in [SegmentName.ds, .es, .fs, .gs, .ss] { try machine.loadSegmentRegister(segment, selector: 0x10) }
        } catch {
            throw .unreadable(path: path, reason: "the Multiboot entry state could not be built: \(error)")
        }
        machine[.eflags] = 0x2
        machine[.eax] = bootMagic
        machine[.ebx] = informationAddress
        machine[.esp] = initialStack
        machine[.eip] = entry
        var image = LoadedImage(machine: machine, console: platform.console, symbols: SymbolTable(symbols), name: path)
        image.platform = platform
        image.elf = file
        return image
    }

    private static func place(_ contents: [UInt8], at address: UInt32, memorySize: UInt32, path: String,
                              memory: PhysicalMemory) throws(ImageError) {
        guard memory.load(contents, at: address) else {
            throw .malformedELF(path: path, reason: "bytes at physical 0x\(hex(address)) fall outside RAM")
        }
    }

    /// A null descriptor, then flat 4 GB ring-0 code (0x08) and data (0x10), as loaders leave them.
    static func gdt() -> [UInt8] {
        [0, 0, 0, 0, 0, 0, 0, 0,
         0xFF, 0xFF, 0, 0, 0, 0x9A, 0xCF, 0,
         0xFF, 0xFF, 0, 0, 0, 0x92, 0xCF, 0]
    }

    /// The Multiboot information: memory sizes (flag 0), the memory map (flag 6), the loader's name (flag 9).
    static func informationStructure(memorySize: UInt32) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 88)
        PCFirmware.put32(1 << 0 | 1 << 6 | 1 << 9, into: &bytes, at: 0)
        PCFirmware.put32(PCFirmware.extendedDataArea >> 10, into: &bytes, at: 4)            // mem_lower, KB
        PCFirmware.put32((memorySize - PCPlatform.Layout.extendedMemory) >> 10, into: &bytes, at: 8)  // mem_upper
        PCFirmware.put32(UInt32(memoryMap(memorySize: memorySize).count), into: &bytes, at: 44)
        PCFirmware.put32(memoryMapAddress, into: &bytes, at: 48)
        PCFirmware.put32(loaderNameAddress, into: &bytes, at: 64)
        return bytes
    }

    /// The memory map: conventional memory below the EBDA, the EBDA and the
    /// video/ROM area reserved, then extended memory.
    static func memoryMap(memorySize: UInt32) -> [UInt8] {
        let regions: [(base: UInt64, length: UInt64, type: UInt32)] = [
            (0, UInt64(PCFirmware.extendedDataArea), 1),
            (UInt64(PCFirmware.extendedDataArea), UInt64(PCPlatform.Layout.conventionalEnd - PCFirmware.extendedDataArea), 2),
            (UInt64(PCPlatform.Layout.biosROM), UInt64(PCPlatform.Layout.extendedMemory - PCPlatform.Layout.biosROM), 2),
            (UInt64(PCPlatform.Layout.extendedMemory), UInt64(memorySize - PCPlatform.Layout.extendedMemory), 1),
        ]
        var bytes: [UInt8] = []
        for region in regions {
            var entry = [UInt8](repeating: 0, count: 24)
            PCFirmware.put32(20, into: &entry, at: 0)
            PCFirmware.put64(region.base, into: &entry, at: 4)
            PCFirmware.put64(region.length, into: &entry, at: 12)
            PCFirmware.put32(region.type, into: &entry, at: 20)
            bytes += entry
        }
        return bytes
    }
}
