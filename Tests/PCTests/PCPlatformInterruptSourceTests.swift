import PC
import Testing

/// What a tracer asks the PC: where a vector comes from, and the EOIs software sends.
@Suite struct PCPlatformInterruptSourceTests {
    /// A PC programmed as xv6 leaves it: 8259s masked, the local APIC enabled with
    /// spurious vector 63 and the timer on 32, COM1 (IRQ 4) on 36, the keyboard on 33.
    static func xv6Platform() -> PCPlatform {
        let platform = PCPlatform(memorySize: 4 << 20)
        platform.interruptController.outb(0x21, 0xFF)
        platform.interruptController.outb(0xA1, 0xFF)
        let apic = platform.localAPIC
        apic.writeMemory(at: 0x0F0, size: 4, value: 0x100 | 63)
        apic.writeMemory(at: 0x3E0, size: 4, value: 0xB)
        apic.writeMemory(at: 0x320, size: 4, value: 0x2_0000 | 32)
        apic.writeMemory(at: 0x370, size: 4, value: 51)
        for (pin, vector) in [(4, 36), (1, 33)] as [(UInt32, UInt32)] {
            platform.ioAPIC.writeMemory(at: 0x00, size: 4, value: 0x10 + 2 * pin)
            platform.ioAPIC.writeMemory(at: 0x10, size: 4, value: vector)
        }
        return platform
    }

    @Test func sourcesOfXV6sVectors() {
        let platform = Self.xv6Platform()
        #expect(platform.interruptSource(ofVector: 32) == .localTimer)
        #expect(platform.interruptSource(ofVector: 33) == .isa(line: 1))
        #expect(platform.interruptSource(ofVector: 36) == .isa(line: 4))
        #expect(platform.interruptSource(ofVector: 51) == .localError)
        #expect(platform.interruptSource(ofVector: 63) == .spurious)
        #expect(platform.interruptSource(ofVector: 40) == .unknown)
        #expect(platform.interruptSource(ofVector: 36).description == "IRQ 4")
        #expect(platform.interruptSource(ofVector: 32).description == "local APIC timer")
    }

    @Test func theTimerOnIOAPICPin2IsIRQ0AndThe8259sLinesByTheirBases() {
        let platform = PCPlatform(memorySize: 4 << 20)
        platform.ioAPIC.writeMemory(at: 0x00, size: 4, value: 0x10 + 2 * 2)
        platform.ioAPIC.writeMemory(at: 0x10, size: 4, value: 48)
        platform.ioAPIC.writeMemory(at: 0x00, size: 4, value: 0x10 + 2 * 20)
        platform.ioAPIC.writeMemory(at: 0x10, size: 4, value: 49)
        #expect(platform.interruptSource(ofVector: 48) == .isa(line: 0))
        #expect(platform.interruptSource(ofVector: 49) == .ioAPICPin(20))
        // ICW1–ICW4 as Linux programs the pair: bases 0x20 and 0x28; IRQ 3 masked.
        let pic = platform.interruptController
        for (port, value) in [(0x20, 0x11), (0x21, 0x20), (0x21, 0x04), (0x21, 0x01),
                              (0xA0, 0x11), (0xA1, 0x28), (0xA1, 0x02), (0xA1, 0x01), (0x21, 0x08)] as [(UInt16, UInt8)] {
            pic.outb(port, value)
        }
        #expect(platform.interruptSource(ofVector: 0x21) == .isa(line: 1))
        #expect(platform.interruptSource(ofVector: 0x23) == .unknown)  // masked
        #expect(platform.interruptSource(ofVector: 0x22) == .unknown)  // the cascade
        #expect(platform.interruptSource(ofVector: 0x2C) == .isa(line: 12))
    }

    @Test func endOfInterruptReports() {
        let platform = Self.xv6Platform()
        var reports: [PCPlatform.EndOfInterrupt] = []
        platform.endOfInterrupt = { reports.append($0) }
        platform.ioAPIC.setIRQ(4, level: true)
        #expect(platform.localAPIC.acknowledgeInterrupt() == 36)
        platform.localAPIC.writeMemory(at: 0x0B0, size: 4, value: 0)
        platform.localAPIC.writeMemory(at: 0x0B0, size: 4, value: 0)
        #expect(reports == [.init(controller: .localAPIC, vector: 36, line: 4),
                            .init(controller: .localAPIC, vector: nil, line: nil)])

        reports = []
        let pic = platform.interruptController
        for (port, value) in [(0x20, 0x11), (0x21, 0x20), (0x21, 0x04), (0x21, 0x01),
                              (0xA0, 0x11), (0xA1, 0x28), (0xA1, 0x02), (0xA1, 0x01), (0x21, 0x00), (0xA1, 0x00)]
            as [(UInt16, UInt8)] {
            pic.outb(port, value)
        }
        pic.setIRQ(9, level: true)
        #expect(pic.acknowledgeInterrupt() == 0x29)
        pic.outb(0xA0, 0x20)  // non-specific EOI to the slave, then the master
        pic.outb(0x20, 0x20)
        pic.outb(0x20, 0x0B)  // OCW3: not an EOI
        pic.outb(0x20, 0x63)  // specific EOI for IR3, not in service
        #expect(reports == [.init(controller: .slavePIC, vector: 0x29, line: 9),
                            .init(controller: .masterPIC, vector: 0x22, line: 2),
                            .init(controller: .masterPIC, vector: nil, line: nil)])

        platform.endOfInterrupt = nil
        platform.localAPIC.writeMemory(at: 0x0B0, size: 4, value: 0)
        #expect(reports.count == 3)
    }
}
