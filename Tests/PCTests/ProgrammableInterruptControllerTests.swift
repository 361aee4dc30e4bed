import PC
import Testing

/// The 8259A pair through its ports, as the datasheet describes them.
@Suite struct ProgrammableInterruptControllerTests {
    /// A pair programmed the way Linux does it: master at 0x20, slave at 0x28, 8086 mode.
    static func programmed(masterMode: UInt8 = 0x01, slaveMode: UInt8 = 0x01) -> ProgrammableInterruptController {
        let pic = ProgrammableInterruptController()
        pic.outb(0x20, 0x11); pic.outb(0x21, 0x20); pic.outb(0x21, 0x04); pic.outb(0x21, masterMode)
        pic.outb(0xA0, 0x11); pic.outb(0xA1, 0x28); pic.outb(0xA1, 0x02); pic.outb(0xA1, slaveMode)
        return pic
    }

    static func masterIRR(_ pic: ProgrammableInterruptController) -> UInt8 { pic.outb(0x20, 0x0A); return pic.inb(0x20) }
    static func masterISR(_ pic: ProgrammableInterruptController) -> UInt8 { pic.outb(0x20, 0x0B); return pic.inb(0x20) }
    static func slaveIRR(_ pic: ProgrammableInterruptController) -> UInt8 { pic.outb(0xA0, 0x0A); return pic.inb(0xA0) }
    static func slaveISR(_ pic: ProgrammableInterruptController) -> UInt8 { pic.outb(0xA0, 0x0B); return pic.inb(0xA0) }

    @Test func powerOnStateServesRequestsBeforeAnyICW() {
        let pic = ProgrammableInterruptController()
        var outputs: [Bool] = []
        pic.outputChanged = { outputs.append($0) }
        #expect(pic.inb(0x21) == 0x00)
        pic.setIRQ(1, level: true)
        #expect(outputs == [true])
        #expect(pic.acknowledgeInterrupt() == 0x01)
        #expect(outputs == [true, false])
        #expect(Self.masterISR(pic) == 0x02)
    }

    @Test func maskedLinesWaitInIRRUntilUnmasked() {
        let pic = Self.programmed()
        pic.outb(0x21, 0xFF)
        pic.setIRQ(3, level: true)
        #expect(!pic.isOutputAsserted)
        #expect(Self.masterIRR(pic) == 0x08)
        #expect(pic.inb(0x21) == 0xFF)
        pic.outb(0x21, 0xF7)
        #expect(pic.isOutputAsserted)
        #expect(pic.acknowledgeInterrupt() == 0x23)
        #expect(Self.masterIRR(pic) == 0x00)
        #expect(Self.masterISR(pic) == 0x08)
    }

    @Test func priorityNestingAndNonSpecificEOI() {
        let pic = Self.programmed()
        pic.setIRQ(5, level: true)
        pic.setIRQ(3, level: true)
        #expect(pic.acknowledgeInterrupt() == 0x23)
        #expect(!pic.isOutputAsserted)  // IRQ5 is lower than IRQ3 in service
        pic.setIRQ(1, level: true)
        #expect(pic.isOutputAsserted)  // IRQ1 is higher: it nests
        #expect(pic.acknowledgeInterrupt() == 0x21)
        #expect(Self.masterISR(pic) == 0x0A)
        pic.outb(0x20, 0x20)  // non-specific EOI ends the highest: IRQ1
        #expect(Self.masterISR(pic) == 0x08)
        #expect(!pic.isOutputAsserted)
        pic.outb(0x20, 0x20)  // ends IRQ3
        #expect(Self.masterISR(pic) == 0x00)
        #expect(pic.isOutputAsserted)
        #expect(pic.acknowledgeInterrupt() == 0x25)
    }

    @Test func specificEOIEndsTheNamedLevel() {
        let pic = Self.programmed()
        pic.setIRQ(3, level: true)
        #expect(pic.acknowledgeInterrupt() == 0x23)
        pic.setIRQ(1, level: true)
        #expect(pic.acknowledgeInterrupt() == 0x21)
        pic.outb(0x20, 0x63)  // specific EOI for IRQ3, though IRQ1 is higher
        #expect(Self.masterISR(pic) == 0x02)
    }

    @Test func automaticEOILeavesISRClear() {
        let pic = Self.programmed(masterMode: 0x03)
        pic.setIRQ(4, level: true)
        #expect(pic.acknowledgeInterrupt() == 0x24)
        #expect(Self.masterISR(pic) == 0x00)
        #expect(!pic.isOutputAsserted)
        pic.setIRQ(4, level: false)
        pic.setIRQ(4, level: true)
        #expect(pic.acknowledgeInterrupt() == 0x24)
    }

    @Test func anEdgeTriggeredLineHeldHighDoesNotRequestAgain() {
        let pic = Self.programmed()
        pic.setIRQ(4, level: true)
        #expect(pic.acknowledgeInterrupt() == 0x24)
        pic.outb(0x20, 0x20)
        #expect(!pic.isOutputAsserted)
        pic.setIRQ(4, level: true)  // still high: no edge
        #expect(!pic.isOutputAsserted)
        pic.setIRQ(4, level: false)
        pic.setIRQ(4, level: true)
        #expect(pic.isOutputAsserted)
    }

    @Test func slaveLinesCascadeThroughIRQ2() {
        let pic = Self.programmed()
        var outputs: [Bool] = []
        pic.outputChanged = { outputs.append($0) }
        pic.setIRQ(10, level: true)
        #expect(outputs == [true])
        #expect(Self.masterIRR(pic) == 0x04)
        #expect(Self.slaveIRR(pic) == 0x04)
        #expect(pic.acknowledgeInterrupt() == 0x2A)
        #expect(outputs == [true, false])
        #expect(Self.masterISR(pic) == 0x04)
        #expect(Self.slaveISR(pic) == 0x04)
        pic.setIRQ(12, level: true)  // lower than IRQ10 in service on the slave
        #expect(!pic.isOutputAsserted)
        pic.outb(0xA0, 0x20)
        pic.outb(0x20, 0x20)
        #expect(pic.isOutputAsserted)
        #expect(pic.acknowledgeInterrupt() == 0x2C)
    }

    @Test func aRequestThatVanishedBeforeINTAIsSpuriousIRQ7() {
        let pic = Self.programmed()
        pic.setIRQ(3, level: true)
        pic.setIRQ(3, level: false)
        #expect(pic.isOutputAsserted)  // INT stays latched until INTA
        #expect(pic.acknowledgeInterrupt() == 0x27)
        #expect(Self.masterISR(pic) == 0x00)
        #expect(!pic.isOutputAsserted)
    }

    @Test func aMaskedRequestAfterINTIsSpuriousIRQ7() {
        let pic = Self.programmed()
        pic.setIRQ(5, level: true)
        pic.outb(0x21, 0x20)
        #expect(pic.acknowledgeInterrupt() == 0x27)
        #expect(Self.masterISR(pic) == 0x00)
        #expect(Self.masterIRR(pic) == 0x20)
    }

    @Test func aVanishedSlaveRequestIsSpuriousIRQ15WithIRQ2InService() {
        let pic = Self.programmed()
        pic.setIRQ(11, level: true)
        pic.setIRQ(11, level: false)
        #expect(pic.acknowledgeInterrupt() == 0x2F)
        #expect(Self.masterISR(pic) == 0x04)
        #expect(Self.slaveISR(pic) == 0x00)
        #expect(!pic.isOutputAsserted)
    }

    @Test func masksReadBackPerChip() {
        let pic = Self.programmed()
        pic.outb(0x21, 0xB8)
        pic.outb(0xA1, 0x5A)
        #expect(pic.inb(0x21) == 0xB8)
        #expect(pic.inb(0xA1) == 0x5A)
        #expect(pic.readPort(0xA0, size: 2) == 0x5A00)  // IRR (0) then IMR
    }

    @Test func levelTriggeredLinesRequestAgainAfterEOIWhileHigh() {
        let pic = Self.programmed()
        pic.outb(0x4D1, 0x08)  // IRQ11 level-triggered
        #expect(pic.inb(0x4D1) == 0x08)
        pic.setIRQ(11, level: true)
        #expect(pic.acknowledgeInterrupt() == 0x2B)
        pic.outb(0xA0, 0x20)
        pic.outb(0x20, 0x20)
        #expect(pic.isOutputAsserted)
        #expect(pic.acknowledgeInterrupt() == 0x2B)
        pic.setIRQ(11, level: false)  // the device is served before the EOI
        pic.outb(0xA0, 0x20)
        pic.outb(0x20, 0x20)
        #expect(!pic.isOutputAsserted)
    }

    @Test func edgeOnlyLinesIgnoreELCRBits() {
        let pic = ProgrammableInterruptController()
        pic.outb(0x4D0, 0xFF)
        pic.outb(0x4D1, 0xFF)
        #expect(pic.inb(0x4D0) == 0xF8)
        #expect(pic.inb(0x4D1) == 0xDE)
    }

    @Test func setPriorityRotatesTheOrder() {
        let pic = Self.programmed()
        pic.outb(0x20, 0xC3)  // IRQ3 lowest, so IRQ4 highest
        pic.setIRQ(1, level: true)
        pic.setIRQ(5, level: true)
        #expect(pic.acknowledgeInterrupt() == 0x25)
        pic.outb(0x20, 0xA0)  // rotate on non-specific EOI: IRQ5 becomes lowest
        #expect(pic.acknowledgeInterrupt() == 0x21)
    }

    @Test func specialFullyNestedModeLetsTheSlaveNest() {
        for (mode, nests) in [(UInt8(0x11), true), (UInt8(0x01), false)] {
            let pic = Self.programmed(masterMode: mode)
            pic.setIRQ(9, level: true)
            #expect(pic.acknowledgeInterrupt() == 0x29)
            pic.setIRQ(8, level: true)  // higher than IRQ9 on the slave
            #expect(pic.isOutputAsserted == nests)
            if nests { #expect(pic.acknowledgeInterrupt() == 0x28) }
        }
    }

    @Test func pollCommandReadsAndAcknowledges() {
        let pic = Self.programmed()
        pic.setIRQ(3, level: true)
        pic.outb(0x20, 0x0C)
        #expect(pic.inb(0x20) == 0x83)
        #expect(Self.masterISR(pic) == 0x08)
        pic.outb(0x20, 0x0C)
        #expect(pic.inb(0x20) == 0x00)
    }

    @Test func specialMaskModeUnblocksLowerLevels() {
        let pic = Self.programmed()
        pic.setIRQ(3, level: true)
        #expect(pic.acknowledgeInterrupt() == 0x23)
        pic.setIRQ(5, level: true)
        #expect(!pic.isOutputAsserted)
        pic.outb(0x21, 0x08)  // mask the level in service
        pic.outb(0x20, 0x68)  // set special mask mode
        #expect(pic.isOutputAsserted)
        #expect(pic.acknowledgeInterrupt() == 0x25)
        pic.outb(0x20, 0x48)  // reset special mask mode
        pic.setIRQ(6, level: true)
        #expect(!pic.isOutputAsserted)
    }

    @Test func nonsenseSequencesNeverTrap() {
        let pic = ProgrammableInterruptController()
        pic.outb(0x20, 0x20)  // EOI with nothing in service
        pic.outb(0x20, 0x60)
        pic.outb(0x20, 0x11)  // ICW1 …
        pic.outb(0x20, 0x20)  // … an OCW2 in the middle acts and keeps the sequence
        pic.outb(0x21, 0x30)
        pic.outb(0x20, 0x13)  // ICW1 again, single mode and ICW4: restarts
        pic.outb(0x21, 0x40)
        pic.outb(0x21, 0x01)
        pic.outb(0x21, 0x00)  // now OCW1
        pic.setIRQ(1, level: true)
        #expect(pic.acknowledgeInterrupt() == 0x41)
        pic.setIRQ(2, level: true)  // the cascade: ignored
        pic.setIRQ(-1, level: true)
        pic.setIRQ(16, level: true)
        pic.setIRQ(Int.max, level: true)
        #expect(!pic.isOutputAsserted)
        #expect(pic.acknowledgeInterrupt() == 0x47)  // nothing pending: spurious
        pic.writePort(0x20, size: 4, value: 0xFFFF_FFFF)
        pic.writePort(0x4D0, size: 0, value: 0x12)
        _ = pic.readPort(0x21, size: 7)
        #expect(pic.readPort(0x22, size: 1) == 0xFF)  // not one of its ports
    }
}
