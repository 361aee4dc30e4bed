import PC
import Testing

/// The local APIC through its registers at 0xFEE00000 (offsets from the base).
@Suite struct LocalAPICTests {
    final class Recorder {
        var outputs: [Bool] = []
        var eoiVectors: [UInt8] = []
        var nmis = 0
    }

    static func apic(id: UInt8 = 0) -> (LocalAPIC, VirtualClock, Recorder) {
        let clock = VirtualClock()
        let apic = LocalAPIC(clock: clock, id: id)
        let recorder = Recorder()
        apic.outputChanged = { recorder.outputs.append($0) }
        apic.levelTriggeredEOI = { recorder.eoiVectors.append($0) }
        apic.nonMaskableInterrupt = { recorder.nmis += 1 }
        return (apic, clock, recorder)
    }

    static func enabled() -> (LocalAPIC, VirtualClock, Recorder) {
        let (apic, clock, recorder) = apic()
        apic.write(0x0F0, 0x13F)
        return (apic, clock, recorder)
    }

    @Test func resetState() {
        let (apic, _, _) = Self.apic(id: 0)
        #expect(apic.read(0x020) == 0)
        #expect(apic.read(0x030) == 0x0005_0014)
        #expect(apic.read(0x0F0) == 0xFF)
        #expect(apic.read(0x0E0) == 0xFFFF_FFFF)
        #expect(apic.read(0x080) == 0)
        #expect(apic.read(0x320) == 0x0001_0000)
        #expect(apic.read(0x350) == 0x0001_0700)  // virtual wire, reads masked while disabled
        #expect(apic.read(0x390) == 0)
    }

    @Test func xv6InitializationAndItsTimer() {
        let (apic, clock, recorder) = Self.apic()
        apic.write(0x0F0, 0x100 | 63)
        apic.write(0x3E0, 0xB)  // ÷1
        apic.write(0x320, 0x2_0000 | 32)  // periodic, vector 32
        apic.write(0x380, 10_000_000)
        apic.write(0x350, 0x1_0000)
        apic.write(0x360, 0x1_0000)
        apic.write(0x340, 0x1_0000)
        apic.write(0x370, 51)
        apic.write(0x280, 0)
        apic.write(0x280, 0)
        apic.write(0x0B0, 0)
        apic.write(0x310, 0)
        apic.write(0x300, 0x0008_0000 | 0x500 | 0x8000)  // INIT level de-assert to all
        #expect(apic.read(0x300) & 0x1000 == 0)  // delivery status idle
        apic.write(0x080, 0)
        #expect(apic.read(0x280) == 0)
        #expect(recorder.outputs.isEmpty)
        clock.advance(to: 2_500_000)
        #expect(apic.read(0x390) == 7_500_000)
        clock.advance(to: 9_999_999)
        #expect(recorder.outputs.isEmpty)
        clock.advance(to: 10_000_000)
        #expect(recorder.outputs == [true])
        #expect(apic.read(0x200 + 0x10) == 0x1)  // IRR bit 32
        #expect(apic.read(0x390) == 10_000_000)  // reloaded
        #expect(apic.acknowledgeInterrupt() == 32)
        #expect(apic.read(0x100 + 0x10) == 0x1)  // ISR bit 32
        apic.write(0x0B0, 0)
        #expect(apic.read(0x100 + 0x10) == 0)
        #expect(recorder.eoiVectors.isEmpty)  // edge-triggered: no EOI broadcast
        #expect(clock.nextDeadline == 20_000_000)
    }

    @Test(arguments: [
        (UInt32(0x0), UInt64(2)), (0x1, 4), (0x2, 8), (0x3, 16), (0x8, 32), (0x9, 64), (0xA, 128), (0xB, 1),
    ])
    func oneShotAtEveryDivideValue(configuration: UInt32, divider: UInt64) {
        let (apic, clock, recorder) = Self.enabled()
        apic.write(0x3E0, configuration)
        apic.write(0x320, 0x40)  // one-shot, vector 0x40
        apic.write(0x380, 1000)
        clock.advance(to: 100 * divider)
        #expect(apic.read(0x390) == 900)
        clock.advance(to: 1000 * divider - 1)
        #expect(apic.read(0x390) == 1)
        #expect(recorder.outputs.isEmpty)
        clock.advance(to: 1000 * divider)
        #expect(recorder.outputs == [true])
        #expect(apic.read(0x390) == 0)
        #expect(apic.acknowledgeInterrupt() == 0x40)
        clock.advance(to: 10_000 * divider)
        #expect(apic.read(0x390) == 0)
        #expect(clock.nextDeadline == .max)
    }

    @Test func periodicCountsReloadAtEveryPeriod() {
        let (apic, clock, _) = Self.enabled()
        apic.write(0x3E0, 0x3)  // ÷16
        apic.write(0x320, 0x2_0040)
        apic.write(0x380, 100)
        var expiries: [UInt64] = []
        for _ in 0..<3 {
            expiries.append(clock.nextDeadline)
            clock.advance(to: clock.nextDeadline)
            _ = apic.acknowledgeInterrupt()
            apic.write(0x0B0, 0)
        }
        #expect(expiries == [1600, 3200, 4800])
        clock.advance(to: 4800 + 16 * 30)
        #expect(apic.read(0x390) == 70)
        apic.write(0x3E0, 0xB)  // ÷1 from now on: 70 counts left
        #expect(clock.nextDeadline == 4800 + 16 * 30 + 70)
    }

    @Test func aMaskedTimerCountsButDoesNotInterrupt() {
        let (apic, clock, recorder) = Self.enabled()
        apic.write(0x3E0, 0xB)
        apic.write(0x320, 0x1_0040)
        apic.write(0x380, 500)
        #expect(clock.nextDeadline == .max)
        clock.advance(to: 200)
        #expect(apic.read(0x390) == 300)
        clock.advance(to: 1000)
        #expect(recorder.outputs.isEmpty)
        #expect(apic.read(0x200 + 0x20) == 0)
        apic.write(0x320, 0x40)  // unmasked after the expiry: the one-shot is gone
        #expect(clock.nextDeadline == .max)
    }

    @Test func priorityIRRISRPPRAndEOI() {
        let (apic, _, recorder) = Self.enabled()
        apic.accept(vector: 0x41)
        apic.accept(vector: 0x52)
        #expect(apic.read(0x220) == (1 << 1) | (1 << 18))
        #expect(apic.acknowledgeInterrupt() == 0x52)
        #expect(apic.read(0x0A0) == 0x50)
        #expect(apic.read(0x120) == 1 << 18)
        #expect(!apic.isOutputAsserted)  // 0x41's class 4 is below PPR 0x50
        apic.write(0x080, 0x65)
        #expect(apic.read(0x0A0) == 0x65)
        apic.write(0x0B0, 0)
        #expect(apic.read(0x120) == 0)
        #expect(apic.read(0x0A0) == 0x65)
        #expect(!apic.isOutputAsserted)
        #expect(apic.acknowledgeInterrupt() == 0x3F)  // nothing deliverable: the spurious vector
        apic.write(0x080, 0x00)
        #expect(apic.isOutputAsserted)
        #expect(apic.acknowledgeInterrupt() == 0x41)
        #expect(recorder.outputs == [true, false, true, false])
    }

    @Test func levelTriggeredEOIIsBroadcast() {
        let (apic, _, recorder) = Self.enabled()
        apic.accept(vector: 0x40, isLevelTriggered: true)
        #expect(apic.read(0x1A0) == 1)  // TMR bit 64
        #expect(apic.acknowledgeInterrupt() == 0x40)
        apic.write(0x0B0, 0)
        #expect(recorder.eoiVectors == [0x40])
        apic.write(0x0B0, 0)  // EOI with nothing in service: nothing
        #expect(recorder.eoiVectors == [0x40])
    }

    @Test func selfIPIs() {
        let (apic, _, recorder) = Self.enabled()
        apic.write(0x300, 0x4_0000 | 0x30)  // shorthand self, fixed
        #expect(apic.read(0x210) & (1 << 16) != 0)
        apic.write(0x310, 0)
        apic.write(0x300, 0x31)  // physical destination 0 = this APIC
        #expect(apic.read(0x210) & (1 << 17) != 0)
        apic.write(0x310, 0x0100_0000)
        apic.write(0x300, 0x32)  // destination 1: nobody
        #expect(apic.read(0x210) & (1 << 18) == 0)
        apic.write(0x300, 0xC_0000 | 0x33)  // all excluding self
        #expect(apic.read(0x210) & (1 << 19) == 0)
        apic.write(0x300, 0x4_0000 | 0x400)  // NMI to self
        #expect(recorder.nmis == 1)
        apic.write(0x300, 0x4_0000 | 0x05)  // illegal vector
        apic.write(0x280, 0)
        #expect(apic.read(0x280) == 0x20)
        #expect(apic.read(0x300) == 0x4_0005)
    }

    @Test func logicalDestinations() {
        let (apic, _, _) = Self.enabled()
        apic.write(0x0D0, 0x0100_0000)  // flat model, logical ID bit 0
        #expect(apic.isAddressed(byDestination: 0x01, isLogical: true))
        #expect(apic.isAddressed(byDestination: 0x03, isLogical: true))
        #expect(!apic.isAddressed(byDestination: 0x02, isLogical: true))
        apic.write(0x0E0, 0x0FFF_FFFF)  // cluster model
        apic.write(0x0D0, 0x2100_0000)  // cluster 2, member 1
        #expect(apic.read(0x0E0) == 0x0FFF_FFFF)
        #expect(apic.isAddressed(byDestination: 0x21, isLogical: true))
        #expect(!apic.isAddressed(byDestination: 0x11, isLogical: true))
        #expect(apic.isAddressed(byDestination: 0xFF, isLogical: false))
    }

    @Test func errorStatusIsWriteThenRead() {
        let (apic, _, _) = Self.enabled()
        apic.write(0x370, 51)
        #expect(apic.read(0x040) == 0)  // no register there
        #expect(apic.read(0x280) == 0)  // not visible until ESR is written
        #expect(apic.read(0x200 + 0x10) == 1 << 19)  // the error interrupt (51) is pending
        apic.write(0x280, 0)
        #expect(apic.read(0x280) == 0x80)
        apic.write(0x280, 0)
        #expect(apic.read(0x280) == 0)
    }

    @Test func softwareDisabledAPICMasksAndRefuses() {
        let (apic, clock, recorder) = Self.apic()
        apic.write(0x320, 0x40)  // unmasked write while disabled: stays masked
        apic.write(0x380, 100)
        apic.accept(vector: 0x50)
        #expect(apic.read(0x210) == 0)
        apic.write(0x0F0, 0x1FF)
        #expect(apic.read(0x320) == 0x1_0040)
        apic.write(0x320, 0x40)
        #expect(apic.read(0x320) == 0x40)
        apic.write(0x0F0, 0x0FF)  // disabling masks every LVT
        apic.write(0x0F0, 0x1FF)
        #expect(apic.read(0x320) == 0x1_0040)
        #expect(apic.read(0x350) == 0x1_0700)
        clock.advance(to: 1000)
        #expect(recorder.outputs.isEmpty)
        #expect(apic.acknowledgeInterrupt() == 0xFF)
    }

    @Test func lint0PassesThe8259ThroughInVirtualWireMode() {
        let (apic, _, recorder) = Self.apic()
        let pic = ProgrammableInterruptController()
        pic.outputChanged = { apic.setLINT0($0) }
        apic.externalInterruptController = pic
        pic.outb(0x20, 0x11); pic.outb(0x21, 0x20); pic.outb(0x21, 0x04); pic.outb(0x21, 0x01)
        pic.setIRQ(1, level: true)
        #expect(recorder.outputs == [true])
        #expect(apic.acknowledgeInterrupt() == 0x21)
        #expect(recorder.outputs == [true, false])
        apic.write(0x0F0, 0x1FF)
        apic.write(0x350, 0x1_0700)  // masked: the 8259 is cut off
        pic.outb(0x20, 0x20)
        pic.setIRQ(3, level: true)
        #expect(pic.isOutputAsserted)
        #expect(!apic.isOutputAsserted)
    }

    @Test func lint1NMIAndFixedLINT0() {
        let (apic, _, recorder) = Self.enabled()
        apic.write(0x360, 0x400)
        apic.setLINT1(true)
        apic.setLINT1(true)  // no new edge
        #expect(recorder.nmis == 1)
        apic.write(0x350, 0x45)
        apic.setLINT0(true)
        #expect(apic.acknowledgeInterrupt() == 0x45)
    }

    @Test func oddSizesAndOffsetsNeverTrap() {
        let (apic, _, _) = Self.apic(id: 3)
        #expect(apic.readMemory(at: 0x023, size: 1) == 0x03)
        #expect(apic.readMemory(at: 0x022, size: 2) == 0x0300)
        #expect(apic.readMemory(at: 0x032, size: 2) == 0x0005)
        #expect(apic.readMemory(at: 0x034, size: 4) == 0)
        #expect(apic.readMemory(at: 0x021, size: 7) == 0x0300_0000 >> 8)  // counts as 4 bytes
        apic.writeMemory(at: 0x080, size: 2, value: 0xFF)  // not a 4-byte write: ignored
        apic.writeMemory(at: 0x081, size: 4, value: 0xFF)
        #expect(apic.read(0x080) == 0)
        #expect(apic.readMemory(at: 0xFFFF_FFFF, size: 4) == 0)
        apic.writeMemory(at: 0x5000, size: 4, value: 1)
        apic.write(0x0F0, 0x1FF)
        for divide in UInt32(0)...0xF {  // every value, reserved bits included
            apic.write(0x3E0, divide)
            #expect(apic.read(0x3E0) == divide & 0xB)
        }
        apic.write(0x320, 0x2_0020)
        apic.write(0x380, 1)  // the shortest period: every ns at ÷1
        apic.write(0x380, 0xFFFF_FFFF)
        apic.write(0x3E0, 0xA)
        #expect(apic.read(0x390) == 0xFFFF_FFFF)
        apic.write(0x320, 0x2_0005)  // an illegal timer vector
        apic.write(0x380, 0)
        #expect(apic.read(0x390) == 0)
    }
}

extension LocalAPIC {
    func read(_ offset: UInt32) -> UInt32 { readMemory(at: offset, size: 4) }
    func write(_ offset: UInt32, _ value: UInt32) { writeMemory(at: offset, size: 4, value: value) }
}
