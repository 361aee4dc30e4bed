import PC
import Testing

/// The 16550A through COM1's ports. At divisor 12 (9600 baud) a 10-bit frame is 1,041,667 ns.
@Suite struct SerialPortTests {
    final class Recorder {
        var levels: [Bool] = []
        var transmitted: [UInt8] = []
    }

    static let frame: UInt64 = 1_041_667

    static func uart() -> (SerialPort, VirtualClock, Recorder) {
        let clock = VirtualClock()
        let uart = SerialPort(clock: clock)
        let recorder = Recorder()
        uart.irq = { recorder.levels.append($0) }
        uart.output = { recorder.transmitted.append($0) }
        return (uart, clock, recorder)
    }

    /// xv6's uartinit: FIFOs off, 9600 8N1, receive interrupts on.
    static func initializeLikeXV6(_ uart: SerialPort) {
        uart.outb(0x3FA, 0x00)
        uart.outb(0x3FB, 0x80)
        uart.outb(0x3F8, 12)
        uart.outb(0x3F9, 0)
        uart.outb(0x3FB, 0x03)
        uart.outb(0x3FC, 0x00)
        uart.outb(0x3F9, 0x01)
    }

    @Test func resetStateAndTheDivisorLatch() {
        let (uart, _, _) = Self.uart()
        #expect(uart.inb(0x3FD) == 0x60)  // THRE and TEMT: there is a UART
        #expect(uart.inb(0x3FA) == 0x01)
        #expect(uart.inb(0x3FE) == 0xB0)
        uart.outb(0x3FB, 0x83)
        #expect(uart.inb(0x3F8) == 12)
        #expect(uart.inb(0x3F9) == 0)
        uart.outb(0x3F8, 0x01)
        uart.outb(0x3F9, 0x02)
        #expect(uart.inb(0x3F8) == 0x01)
        #expect(uart.inb(0x3F9) == 0x02)
        uart.outb(0x3FB, 0x03)
        #expect(uart.inb(0x3FB) == 0x03)
        #expect(uart.inb(0x3F9) == 0x00)  // IER again
        uart.outb(0x3FF, 0xA5)
        #expect(uart.inb(0x3FF) == 0xA5)
    }

    @Test func transmittedBytesGoToTheOutputAtOnce() {
        let (uart, _, recorder) = Self.uart()
        Self.initializeLikeXV6(uart)
        for byte in Array("ok\n".utf8) { uart.outb(0x3F8, byte) }
        #expect(recorder.transmitted == Array("ok\n".utf8))
        #expect(uart.inb(0x3FD) & 0x60 == 0x60)
    }

    @Test func receivedBytesArriveOneFrameApartAndInterrupt() {
        let (uart, clock, recorder) = Self.uart()
        Self.initializeLikeXV6(uart)
        uart.receive(Array("hi".utf8))
        #expect(uart.pendingInputCount == 2)
        clock.advance(to: Self.frame - 1)
        #expect(uart.inb(0x3FD) & 0x01 == 0)
        #expect(recorder.levels.isEmpty)
        clock.advance(to: Self.frame)
        #expect(recorder.levels == [true])
        #expect(uart.inb(0x3FD) == 0x61)
        #expect(uart.inb(0x3FA) == 0x04)
        #expect(uart.inb(0x3F8) == UInt8(ascii: "h"))
        #expect(recorder.levels == [true, false])
        // With FIFOs off the second byte waited for the first to be read: one frame from then.
        clock.advance(to: 2 * Self.frame - 1)
        #expect(uart.inb(0x3FD) & 0x01 == 0)
        clock.advance(to: 2 * Self.frame)
        #expect(recorder.levels == [true, false, true])
        #expect(uart.inb(0x3F8) == UInt8(ascii: "i"))
        #expect(uart.pendingInputCount == 0)
        #expect(clock.nextDeadline == .max)
    }

    @Test func enablingTheTHREInterruptRaisesItAndIIRReadClearsIt() {
        let (uart, _, recorder) = Self.uart()
        uart.outb(0x3F9, 0x02)
        #expect(recorder.levels == [true])
        #expect(uart.inb(0x3FA) == 0x02)
        #expect(recorder.levels == [true, false])
        #expect(uart.inb(0x3FA) == 0x01)
        uart.outb(0x3F8, 0x41)  // sent at once: THR is empty again
        #expect(recorder.levels == [true, false, true])
        #expect(recorder.transmitted == [0x41])
        uart.outb(0x3F9, 0x00)
        #expect(recorder.levels == [true, false, true, false])
    }

    @Test func interruptIdentificationByPriority() {
        let (uart, _, _) = Self.uart()
        uart.outb(0x3FC, 0x10)  // loopback
        _ = uart.inb(0x3FE)  // clear the deltas that entering loopback made
        uart.outb(0x3F9, 0x0F)
        #expect(uart.inb(0x3FA) == 0x02)  // THR empty
        uart.outb(0x3F8, 0x31)
        uart.outb(0x3F8, 0x32)  // the one-byte receiver is full: overrun
        #expect(uart.inb(0x3FA) == 0x06)  // line status first
        #expect(uart.inb(0x3FD) == 0x63)  // DR, OE, THRE, TEMT; reading clears OE
        #expect(uart.inb(0x3FA) == 0x04)  // then received data
        #expect(uart.inb(0x3F8) == 0x31)
        #expect(uart.inb(0x3FA) == 0x02)  // then THR empty (set again by the second write)
        uart.outb(0x3FC, 0x11)  // DTR on: DSR changes
        #expect(uart.inb(0x3FA) == 0x00)  // modem status
        #expect(uart.inb(0x3FE) == 0x22)  // DSR and DDSR; reading clears the delta
        #expect(uart.inb(0x3FA) == 0x01)
    }

    @Test func loopbackRoutesTHRAndModemControl() {
        let (uart, _, recorder) = Self.uart()
        uart.outb(0x3FC, 0x1F)
        uart.outb(0x3F8, 0x5A)
        #expect(recorder.transmitted.isEmpty)
        #expect(uart.inb(0x3F8) == 0x5A)
        #expect(uart.inb(0x3FE) & 0xF0 == 0xF0)
        uart.outb(0x3FC, 0x1B)  // OUT1 off: RI's trailing edge
        #expect(uart.inb(0x3FE) == 0xB4)
        uart.outb(0x3FC, 0x00)
        uart.outb(0x3F8, 0x5B)
        #expect(recorder.transmitted == [0x5B])
    }

    @Test func fifoTriggerLevelAndCharacterTimeout() {
        let (uart, clock, recorder) = Self.uart()
        uart.outb(0x3FA, 0x81)  // FIFOs on, trigger 8
        uart.outb(0x3F9, 0x01)
        #expect(uart.inb(0x3FA) == 0xC1)
        uart.receive(Array(1...10))
        clock.advance(to: 7 * Self.frame)
        #expect(recorder.levels.isEmpty)
        clock.advance(to: 8 * Self.frame)
        #expect(recorder.levels == [true])
        #expect(uart.inb(0x3FA) == 0xC4)
        for expected in UInt8(1)...8 { #expect(uart.inb(0x3F8) == expected) }
        #expect(recorder.levels == [true, false])
        // Bytes 9 and 10 arrive at frames 9 and 10: below the trigger, so the timeout
        // fires four frame times after the last activity (the tenth byte).
        clock.advance(to: 10 * Self.frame + 4_166_667)
        #expect(recorder.levels == [true, false])
        clock.advance(to: 10 * Self.frame + 4_166_668)
        #expect(recorder.levels == [true, false, true])
        #expect(uart.inb(0x3FA) == 0xCC)
        #expect(uart.inb(0x3F8) == 9)
        #expect(uart.inb(0x3F8) == 10)
        #expect(uart.inb(0x3FA) == 0xC1)
        #expect(uart.inb(0x3FD) == 0x60)
    }

    @Test func fifoClearBitsEmptyTheReceiver() {
        let (uart, clock, _) = Self.uart()
        uart.outb(0x3FA, 0x01)
        uart.receive([1, 2, 3])
        clock.advance(to: 3 * Self.frame)
        #expect(uart.inb(0x3FD) & 0x01 == 0x01)
        uart.outb(0x3FA, 0x03)
        #expect(uart.inb(0x3FD) & 0x01 == 0)
    }

    @Test func divisorZeroPacesAtTheSlowestRate() {
        let (uart, clock, _) = Self.uart()
        uart.outb(0x3FB, 0x80)
        uart.outb(0x3F8, 0)
        uart.outb(0x3F9, 0)
        uart.outb(0x3FB, 0x03)
        uart.receive([0x42])
        #expect(clock.nextDeadline == 5_688_888_889)  // 65,536 × 16 × 10 / 1,843,200 s
        clock.advance(to: 5_688_888_889)
        #expect(uart.inb(0x3F8) == 0x42)
        uart.outb(0x3FB, 0x80)
        uart.outb(0x3F8, 1)
        uart.outb(0x3FB, 0x03)
        uart.receive([0x43])
        #expect(clock.nextDeadline == 5_688_888_889 + 86_806)  // 115,200 baud
    }

    @Test func nonsenseAccessesNeverTrap() {
        let (uart, clock, recorder) = Self.uart()
        #expect(uart.inb(0x3F8) == 0)  // empty receiver
        uart.outb(0x3FA, 0xC6)  // clear bits without bit 0: ignored
        #expect(uart.inb(0x3FA) == 0x01)
        uart.outb(0x3FD, 0xFF)
        uart.outb(0x3FE, 0xFF)
        #expect(uart.inb(0x3FD) == 0x60)
        uart.writePort(0x3FC, size: 4, value: 0xFFFF_FFFF)  // MCR, LSR, MSR, SCR
        #expect(uart.readPort(0x3FE, size: 4) == 0xFFFF_FFF0 | UInt32(uart.inb(0x3FE) & 0xF0))
        uart.outb(0x3FC, 0)
        uart.outb(0x3F9, 0xFF)
        #expect(uart.inb(0x3F9) == 0x0F)
        for _ in 0..<100 { uart.outb(0x3F8, 0x2E) }
        uart.receive([])
        uart.receive(Array(repeating: 0x30, count: 5000))
        clock.advance(to: 10_000 * Self.frame)
        #expect(recorder.transmitted.count == 100)
        #expect(uart.pendingInputCount == 4999)  // waiting for the guest to read
    }
}
