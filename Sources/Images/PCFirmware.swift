import I386
import PC

/// What a PC's BIOS leaves in memory for the kernel it boots: the BIOS data
/// area (COM1's base, the extended BIOS data area's segment, the base memory
/// size) and the Intel MultiProcessor tables for one processor with its local
/// APIC and an I/O APIC — what xv6's `mpinit` and Linux's SMP probe read.
public enum PCFirmware {
    /// Where the extended BIOS data area starts (its segment goes to 0x40E).
    public static let extendedDataArea: UInt32 = 0x9_FC00
    /// The MP floating pointer, at the start of the BIOS ROM; the configuration table follows.
    public static let floatingPointer: UInt32 = PCPlatform.Layout.biosROM
    public static let configurationTable: UInt32 = PCPlatform.Layout.biosROM + 16

    /// Writes the BIOS data area and the MP tables into `memory` (ROM included).
    public static func install(in memory: PhysicalMemory) {
        var dataArea = [UInt8](repeating: 0, count: 0x20)
        put16(0x3F8, into: &dataArea, at: 0x00)                             // 0x400: COM1 base
        put16(UInt16(extendedDataArea >> 4), into: &dataArea, at: 0x0E)     // 0x40E: EBDA segment
        put16(UInt16(extendedDataArea >> 10), into: &dataArea, at: 0x13)    // 0x413: base memory, KB
        memory.load(dataArea, at: 0x400)
        memory.load(configurationTableBytes(), at: configurationTable)
        memory.load(floatingPointerBytes(), at: floatingPointer)
    }

    /// The MP floating pointer structure: "_MP_", the configuration table's
    /// address, length 1 (16 bytes), revision 1.4, no default configuration, no IMCR.
    static func floatingPointerBytes() -> [UInt8] {
        var bytes = Array("_MP_".utf8) + [UInt8](repeating: 0, count: 12)
        put32(configurationTable, into: &bytes, at: 4)
        bytes[8] = 1
        bytes[9] = 4
        bytes[10] = checksum(bytes)
        return bytes
    }

    /// The MP configuration table: one processor (APIC ID 0, bootstrap), an
    /// ISA bus, the I/O APIC (ID 1 at 0xFEC00000), the ISA interrupts routed
    /// as `ISAInterruptRouting` wires them, ExtINT on LINT0 and NMI on LINT1.
    static func configurationTableBytes() -> [UInt8] {
        var entries: [UInt8] = []
        // Processor: type 0, APIC ID 0, version 0x14, enabled + bootstrap, signature 0x633, features.
        var processor: [UInt8] = [0, 0, 0x14, 0x03] + [UInt8](repeating: 0, count: 16)
        put32(0x0000_0633, into: &processor, at: 4)
        put32(0x0000_8B35, into: &processor, at: 8)
        entries += processor
        entries += [1, 0] + Array("ISA   ".utf8)                          // bus 0: ISA
        var ioAPIC: [UInt8] = [2, 1, 0x11, 0x01, 0, 0, 0, 0]                // I/O APIC 1, version 0x11, enabled
        put32(IOAPIC.defaultBaseAddress, into: &ioAPIC, at: 4)
        entries += ioAPIC
        var count = 3
        for irq in 0..<16 {
            guard let pin = ISAInterruptRouting.ioAPICPin(forIRQ: irq) else { continue }
            entries += [3, 0, 0, 0, 0, UInt8(irq), 1, UInt8(pin)]           // INT, conforming, ISA irq → pin
            count += 1
        }
        entries += [4, 3, 0, 0, 0, 0, 0xFF, 0]                              // ExtINT → every LAPIC's LINT0
        entries += [4, 1, 0, 0, 0, 0, 0xFF, 1]                              // NMI → LINT1
        count += 2

        var header = Array("PCMP".utf8) + [UInt8](repeating: 0, count: 40)
        put16(UInt16(44 + entries.count), into: &header, at: 4)
        header[6] = 4
        header.replaceSubrange(8..<16, with: Array("KSTEP   ".utf8))
        header.replaceSubrange(16..<28, with: Array("PC          ".utf8))
        put16(UInt16(count), into: &header, at: 34)
        put32(LocalAPIC.defaultBaseAddress, into: &header, at: 36)
        var table = header + entries
        table[7] = checksum(table)
        return table
    }

    /// The byte that makes `bytes` sum to zero (its own slot counted as 0).
    static func checksum(_ bytes: [UInt8]) -> UInt8 {
        0 &- bytes.reduce(0, &+)
    }

    static func put16(_ value: UInt16, into bytes: inout [UInt8], at offset: Int) {
        bytes[offset] = UInt8(truncatingIfNeeded: value)
        bytes[offset + 1] = UInt8(truncatingIfNeeded: value >> 8)
    }

    static func put32(_ value: UInt32, into bytes: inout [UInt8], at offset: Int) {
        for index in 0..<4 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(index))) }
    }

    static func put64(_ value: UInt64, into bytes: inout [UInt8], at offset: Int) {
        for index in 0..<8 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index))) }
    }
}
