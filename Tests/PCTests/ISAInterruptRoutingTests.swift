import PC
import Testing

/// Devices driving ISA lines into the 8259 pair and the I/O APIC, as a PC wires them.
@Suite struct ISAInterruptRoutingTests {
    @Test func pinMap() {
        #expect(ISAInterruptRouting.ioAPICPin(forIRQ: 0) == 2)
        #expect(ISAInterruptRouting.ioAPICPin(forIRQ: 1) == 1)
        #expect(ISAInterruptRouting.ioAPICPin(forIRQ: 2) == nil)
        #expect(ISAInterruptRouting.ioAPICPin(forIRQ: 8) == 8)
        #expect(ISAInterruptRouting.ioAPICPin(forIRQ: 15) == 15)
        #expect(ISAInterruptRouting.ioAPICPin(forIRQ: 16) == nil)
        #expect(ISAInterruptRouting.ioAPICPin(forIRQ: -1) == nil)
    }

    @Test func timerTicksReachTheLocalAPICThroughPin2() {
        let clock = VirtualClock()
        let localAPIC = LocalAPIC(clock: clock)
        let ioAPIC = IOAPIC(localAPIC: localAPIC)
        let pic = ProgrammableInterruptController()
        let routing = ISAInterruptRouting(interruptController: pic, ioAPIC: ioAPIC)
        let timer = IntervalTimer(clock: clock)
        timer.irq0 = routing.line(0)
        pic.outb(0x21, 0xFF)  // xv6 and Linux with an I/O APIC mask the 8259s
        pic.outb(0xA1, 0xFF)
        localAPIC.writeMemory(at: 0x0F0, size: 4, value: 0x13F)
        localAPIC.writeMemory(at: 0x350, size: 4, value: 0x1_0000)
        ioAPIC.writeMemory(at: 0x00, size: 4, value: 0x10 + 2 * 2)
        ioAPIC.writeMemory(at: 0x10, size: 4, value: 0x20)
        timer.outb(0x43, 0x34)
        timer.outb(0x40, 0xA9)
        timer.outb(0x40, 0x04)  // the OUT rising edge of the control word: the first tick
        #expect(localAPIC.acknowledgeInterrupt() == 0x20)
        localAPIC.writeMemory(at: 0x0B0, size: 4, value: 0)
        #expect(!localAPIC.isOutputAsserted)
        clock.advance(to: 999_848)
        #expect(localAPIC.acknowledgeInterrupt() == 0x20)
        #expect(!pic.isOutputAsserted)
    }

    @Test func serialReceiveReachesVector36() {
        let clock = VirtualClock()
        let localAPIC = LocalAPIC(clock: clock)
        let ioAPIC = IOAPIC(localAPIC: localAPIC)
        let routing = ISAInterruptRouting(interruptController: ProgrammableInterruptController(), ioAPIC: ioAPIC)
        let uart = SerialPort(clock: clock)
        uart.irq = routing.line(4)
        localAPIC.writeMemory(at: 0x0F0, size: 4, value: 0x13F)
        ioAPIC.writeMemory(at: 0x00, size: 4, value: 0x10 + 2 * 4)
        ioAPIC.writeMemory(at: 0x10, size: 4, value: 36)
        uart.outb(0x3F9, 0x01)
        uart.receive([0x0D])
        clock.advance(to: 1_041_667)
        #expect(localAPIC.acknowledgeInterrupt() == 36)
        #expect(uart.inb(0x3F8) == 0x0D)
    }

    @Test func aPICOnlyPlatform() {
        let pic = ProgrammableInterruptController()
        let routing = ISAInterruptRouting(interruptController: pic)
        let keyboard = KeyboardController()
        let rtc = RealTimeClock(clock: VirtualClock())
        keyboard.irq1 = routing.line(1)
        rtc.irq8 = routing.line(8)
        pic.outb(0x20, 0x11); pic.outb(0x21, 0x20); pic.outb(0x21, 0x04); pic.outb(0x21, 0x01)
        pic.outb(0xA0, 0x11); pic.outb(0xA1, 0x28); pic.outb(0xA1, 0x02); pic.outb(0xA1, 0x01)
        keyboard.press(scancodes: [0x1E])
        #expect(pic.acknowledgeInterrupt() == 0x21)
        routing.setIRQ(2, level: true)  // the cascade: nothing
        routing.setIRQ(99, level: true)
        #expect(!pic.isOutputAsserted)
    }
}
