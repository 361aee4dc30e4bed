import PC
import Testing

/// The I/O APIC through IOREGSEL/IOWIN, delivering to a local APIC that the CPU acknowledges.
@Suite struct IOAPICTests {
    static func machine() -> (IOAPIC, LocalAPIC) {
        let clock = VirtualClock()
        let localAPIC = LocalAPIC(clock: clock)
        localAPIC.writeMemory(at: 0x0F0, size: 4, value: 0x13F)  // software-enabled
        return (IOAPIC(localAPIC: localAPIC), localAPIC)
    }

    @Test func identificationRegisters() {
        let (ioAPIC, _) = Self.machine()
        #expect(ioAPIC.register(0x00) == 0x0100_0000)
        #expect(ioAPIC.register(0x01) == 0x0017_0011)
        #expect(ioAPIC.register(0x02) == 0x0100_0000)
        ioAPIC.setRegister(0x00, 0xFFFF_FFFF)
        #expect(ioAPIC.register(0x00) == 0x0F00_0000)
        ioAPIC.setRegister(0x01, 0)
        #expect(ioAPIC.register(0x01) == 0x0017_0011)
        #expect(ioAPIC.readMemory(at: 0x00, size: 4) == 0x01)  // IOREGSEL reads back
    }

    @Test func entriesStartMasked() {
        let (ioAPIC, _) = Self.machine()
        for pin in 0..<24 {
            #expect(ioAPIC.register(0x10 + 2 * UInt8(pin)) == 0x1_0000)
            #expect(ioAPIC.register(0x11 + 2 * UInt8(pin)) == 0)
        }
    }

    @Test func xv6KeyboardEntryDeliversVector33() {
        let (ioAPIC, localAPIC) = Self.machine()
        ioAPIC.setRegister(0x10 + 2 * 1, 33)  // edge, active high, unmasked
        ioAPIC.setRegister(0x11 + 2 * 1, 0 << 24)
        ioAPIC.setIRQ(1, level: true)
        #expect(localAPIC.isOutputAsserted)
        #expect(localAPIC.acknowledgeInterrupt() == 33)
        ioAPIC.setIRQ(1, level: true)  // still high: no new edge
        #expect(!localAPIC.isOutputAsserted)
    }

    @Test func anEdgeWhileMaskedIsLost() {
        let (ioAPIC, localAPIC) = Self.machine()
        ioAPIC.setRegister(0x10 + 2 * 4, 0x1_0000 | 36)
        ioAPIC.setIRQ(4, level: true)
        ioAPIC.setRegister(0x10 + 2 * 4, 36)
        #expect(!localAPIC.isOutputAsserted)
        ioAPIC.setIRQ(4, level: false)
        ioAPIC.setIRQ(4, level: true)
        #expect(localAPIC.acknowledgeInterrupt() == 36)
    }

    @Test func levelTriggeredEntriesUseRemoteIRRAndEOI() {
        let (ioAPIC, localAPIC) = Self.machine()
        ioAPIC.setRegister(0x10 + 2 * 10, 0x8000 | 0x40)
        ioAPIC.setIRQ(10, level: true)
        #expect(ioAPIC.register(0x10 + 2 * 10) == 0xC040)  // Remote IRR set
        #expect(localAPIC.acknowledgeInterrupt() == 0x40)
        #expect(localAPIC.readMemory(at: 0x1A0, size: 4) == 1)  // TMR: level
        localAPIC.writeMemory(at: 0x0B0, size: 4, value: 0)  // EOI while the line is still high
        #expect(ioAPIC.register(0x10 + 2 * 10) == 0xC040)  // delivered again
        #expect(localAPIC.acknowledgeInterrupt() == 0x40)
        ioAPIC.setIRQ(10, level: false)
        localAPIC.writeMemory(at: 0x0B0, size: 4, value: 0)
        #expect(ioAPIC.register(0x10 + 2 * 10) == 0x8040)
        #expect(!localAPIC.isOutputAsserted)
    }

    @Test func destinationsMustAddressTheLocalAPIC() {
        let (ioAPIC, localAPIC) = Self.machine()
        ioAPIC.setRegister(0x10 + 2 * 3, 0x35)
        ioAPIC.setRegister(0x11 + 2 * 3, 0x0500_0000)  // physical APIC 5: nobody
        ioAPIC.setIRQ(3, level: true)
        #expect(!localAPIC.isOutputAsserted)
        localAPIC.writeMemory(at: 0x0D0, size: 4, value: 0x0100_0000)  // logical ID bit 0, flat
        ioAPIC.setRegister(0x10 + 2 * 3, 0x100 | 0x800 | 0x35)  // lowest priority, logical
        ioAPIC.setRegister(0x11 + 2 * 3, 0x0100_0000)
        ioAPIC.setIRQ(3, level: false)
        ioAPIC.setIRQ(3, level: true)
        #expect(localAPIC.acknowledgeInterrupt() == 0x35)
        #expect(ioAPIC.register(0x11 + 2 * 3) == 0x0100_0000)
    }

    @Test func oddAccessesNeverTrap() {
        let (ioAPIC, localAPIC) = Self.machine()
        ioAPIC.writeMemory(at: 0x00, size: 1, value: 0x01)
        #expect(ioAPIC.readMemory(at: 0x12, size: 1) == 0x17)
        #expect(ioAPIC.readMemory(at: 0x10, size: 2) == 0x0011)
        ioAPIC.writeMemory(at: 0x00, size: 4, value: 0x10)
        ioAPIC.writeMemory(at: 0x10, size: 2, value: 0x20)  // not 4 bytes: ignored
        #expect(ioAPIC.register(0x10) == 0x1_0000)
        ioAPIC.writeMemory(at: 0x11, size: 4, value: 0x20)
        #expect(ioAPIC.register(0x10) == 0x1_0000)
        for register in [UInt8(0x03), 0x0F, 0x40, 0xFF] {
            ioAPIC.setRegister(register, 0xFFFF_FFFF)
            #expect(ioAPIC.register(register) == 0)
        }
        #expect(ioAPIC.readMemory(at: 0x20, size: 4) == 0)
        ioAPIC.writeMemory(at: 0xFFFF_FFF0, size: 4, value: 1)
        ioAPIC.setRegister(0x10, 0xFFFF_FFFF)  // every bit: read-only ones stay clear
        #expect(ioAPIC.register(0x10) == 0x1_AFFF)
        for pin in [-1, 24, Int.max, Int.min] { ioAPIC.setIRQ(pin, level: true) }
        ioAPIC.endOfInterrupt(vector: 0)
        #expect(!localAPIC.isOutputAsserted)
    }
}

extension IOAPIC {
    func register(_ index: UInt8) -> UInt32 {
        writeMemory(at: 0x00, size: 4, value: UInt32(index))
        return readMemory(at: 0x10, size: 4)
    }

    func setRegister(_ index: UInt8, _ value: UInt32) {
        writeMemory(at: 0x00, size: 4, value: UInt32(index))
        writeMemory(at: 0x10, size: 4, value: value)
    }
}
