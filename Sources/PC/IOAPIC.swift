import I386

/// The I/O APIC (82093AA-style, version 0x11, 24 pins), memory-mapped at 0xFEC00000.
///
/// Software selects a register by writing its index to IOREGSEL (offset 0x00)
/// and reads or writes it through IOWIN (offset 0x10). Register 0 is the ID
/// (bits 24–27), 1 the version (0x00170011: 24 entries), 2 the arbitration ID,
/// and 0x10 + 2n / 0x11 + 2n the low and high halves of pin n's redirection entry.
///
/// - Entries start masked. A pin's `level` is its logical assertion: the polarity
///   bit is stored but not applied (as in QEMU), so devices always drive active-high.
/// - Edge-triggered pins deliver on a rising edge while unmasked; an edge while
///   masked is lost. Level-triggered pins deliver while asserted and Remote IRR is
///   clear, set Remote IRR, and deliver again after the local APIC's EOI for that
///   vector if still asserted.
/// - Fixed and lowest-priority entries go to the local APIC when their destination
///   (physical, or logical per the local APIC's LDR/DFR) addresses it; NMI, SMI, INIT
///   and ExtINT entries are not delivered (there is no path for them on this machine).
/// - IOREGSEL reads back its index; IOWIN reads of any size return the bytes of the
///   selected register at that offset; only 4-byte writes at offset 0x10 take effect.
///   Unknown register indexes read 0 and ignore writes; other offsets read 0.
public final class IOAPIC: MemoryMappedDevice {
    /// Where a PC maps the I/O APIC.
    public static let defaultBaseAddress: UInt32 = 0xFEC0_0000
    /// The size of the register window a platform maps (one 4 KB page).
    public static let size: UInt32 = 0x1000
    /// The number of redirection entries (input pins).
    public static let pinCount = 24

    private enum Register {
        static let id: UInt8 = 0x00, version: UInt8 = 0x01, arbitration: UInt8 = 0x02, redirectionTable: UInt8 = 0x10
    }

    private enum Entry {
        static let masked: UInt64 = 0x1_0000, levelTriggered: UInt64 = 0x8000, remoteIRR: UInt64 = 0x4000
        static let logicalDestination: UInt64 = 0x800
        static let writableLowBits: UInt64 = 0x1_AFFF
    }

    private static let versionValue: UInt32 = 0x0017_0011

    private let localAPIC: LocalAPIC
    private var idRegister: UInt32
    private var selectedRegister: UInt8 = 0
    private var entries = [UInt64](repeating: Entry.masked, count: IOAPIC.pinCount)
    private var pinLevels = [Bool](repeating: false, count: IOAPIC.pinCount)

    /// Creates the I/O APIC with ID `id` (1 by default, as QEMU numbers it after one CPU),
    /// delivering to `localAPIC`; it takes over `localAPIC.levelTriggeredEOI` to see EOIs.
    public init(localAPIC: LocalAPIC, id: UInt8 = 1) {
        self.localAPIC = localAPIC
        idRegister = UInt32(id & 0x0F) << 24
        localAPIC.levelTriggeredEOI = { [unowned(unsafe) self] vector in self.endOfInterrupt(vector: vector) }
    }

    deinit {
        localAPIC.levelTriggeredEOI = nil
    }

    /// Pin `pin`'s redirection entry (nil for a pin it does not have), for
    /// observers that name an interrupt's source.
    public func redirectionEntry(pin: Int) -> UInt64? {
        entries.indices.contains(pin) ? entries[pin] : nil
    }

    /// Drives input pin `pin` (0–23) to `level` (asserted = true); other pins are ignored.
    public func setIRQ(_ pin: Int, level: Bool) {
        guard entries.indices.contains(pin) else { return }
        let rising = level && !pinLevels[pin]
        pinLevels[pin] = level
        if entries[pin] & Entry.levelTriggered != 0 {
            serviceLevelTriggered(pin)
        } else if rising, entries[pin] & Entry.masked == 0 {
            deliver(entries[pin])
        }
    }

    /// The local APIC's EOI for a level-triggered `vector`: clears Remote IRR of the
    /// entries with that vector, delivering again those still asserted.
    public func endOfInterrupt(vector: UInt8) {
        for pin in entries.indices where UInt8(truncatingIfNeeded: entries[pin]) == vector {
            entries[pin] &= ~Entry.remoteIRR
            serviceLevelTriggered(pin)
        }
    }

    // MARK: - MMIO

    /// Reads IOREGSEL (offset 0x00) or IOWIN (0x10); see the type's note.
    public func readMemory(at offset: UInt32, size: Int) -> UInt32 {
        let value: UInt32
        switch offset & 0xFFF {
        case 0x00...0x03: value = UInt32(selectedRegister)
        case 0x10...0x13: value = readRegister(selectedRegister)
        default: return 0
        }
        let shifted = value >> (8 * (offset & 3))
        let bytes = min(max(size, 1), 4)
        return bytes == 4 ? shifted : shifted & ((1 << (8 * UInt32(bytes))) - 1)
    }

    /// Writes IOREGSEL (any size at offset 0x00) or IOWIN (4 bytes at 0x10).
    public func writeMemory(at offset: UInt32, size: Int, value: UInt32) {
        switch offset & 0xFFF {
        case 0x00:
            selectedRegister = UInt8(truncatingIfNeeded: value)
        case 0x10 where size == 4:
            writeRegister(selectedRegister, value)
        default:
            break
        }
    }

    private func readRegister(_ register: UInt8) -> UInt32 {
        switch register {
        case Register.id: return idRegister
        case Register.version: return Self.versionValue
        case Register.arbitration: return idRegister
        case Register.redirectionTable..<(Register.redirectionTable + 2 * UInt8(Self.pinCount)):
            let index = Int(register - Register.redirectionTable)
            return UInt32(truncatingIfNeeded: entries[index / 2] >> (index % 2 == 0 ? 0 : 32))
        default: return 0
        }
    }

    private func writeRegister(_ register: UInt8, _ value: UInt32) {
        switch register {
        case Register.id:
            idRegister = value & 0x0F00_0000
        case Register.redirectionTable..<(Register.redirectionTable + 2 * UInt8(Self.pinCount)):
            let index = Int(register - Register.redirectionTable)
            let pin = index / 2
            if index % 2 == 0 {
                var entry = entries[pin] & ~Entry.writableLowBits
                entry |= UInt64(value) & Entry.writableLowBits
                if entry & Entry.levelTriggered == 0 { entry &= ~Entry.remoteIRR }
                entries[pin] = entry
                serviceLevelTriggered(pin)
            } else {
                entries[pin] = entries[pin] & 0xFFFF_FFFF | UInt64(value & 0xFF00_0000) << 32
            }
        default:
            break  // version, arbitration and unknown registers are read-only
        }
    }

    // MARK: - Delivery

    private func serviceLevelTriggered(_ pin: Int) {
        let entry = entries[pin]
        guard entry & Entry.levelTriggered != 0, entry & (Entry.masked | Entry.remoteIRR) == 0, pinLevels[pin] else { return }
        entries[pin] |= Entry.remoteIRR
        deliver(entries[pin])
    }

    private func deliver(_ entry: UInt64) {
        let destination = UInt8(truncatingIfNeeded: entry >> 56)
        guard localAPIC.isAddressed(byDestination: destination, isLogical: entry & Entry.logicalDestination != 0) else { return }
        switch (entry >> 8) & 7 {
        case 0, 1:  // fixed, lowest priority: the one CPU
            localAPIC.accept(vector: UInt8(truncatingIfNeeded: entry), isLevelTriggered: entry & Entry.levelTriggered != 0)
        default:
            break
        }
    }
}

// MARK: - Snapshots

extension IOAPIC: Snapshotting {
    /// Every register and pending event of the device, as a value (see `Snapshotting`).
    public struct Snapshot {
        fileprivate let idRegister: UInt32
        fileprivate let selectedRegister: UInt8
        fileprivate let entries: [UInt64]
        fileprivate let pinLevels: [Bool]
    }

    public func snapshot() -> Snapshot {
        Snapshot(idRegister: idRegister, selectedRegister: selectedRegister, entries: entries, pinLevels: pinLevels)
    }

    public func restore(_ snapshot: Snapshot) {
        idRegister = snapshot.idRegister
        selectedRegister = snapshot.selectedRegister
        entries = snapshot.entries
        pinLevels = snapshot.pinLevels
    }
}
