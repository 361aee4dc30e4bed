import PC
import Testing

/// The MC146818 through ports 0x70/0x71, starting 2006-01-01 00:00:00 (a Sunday).
@Suite struct RealTimeClockTests {
    final class Recorder {
        var levels: [(UInt64, Bool)] = []
    }

    static func rtc(memorySize: UInt64 = 0) -> (RealTimeClock, VirtualClock, Recorder) {
        let clock = VirtualClock()
        let rtc = RealTimeClock(clock: clock, memorySize: memorySize)
        let recorder = Recorder()
        rtc.irq8 = { [unowned clock] level in recorder.levels.append((clock.now, level)) }
        return (rtc, clock, recorder)
    }

    static func read(_ rtc: RealTimeClock, _ register: UInt8) -> UInt8 {
        rtc.outb(0x70, register)
        return rtc.inb(0x71)
    }

    static func write(_ rtc: RealTimeClock, _ register: UInt8, _ value: UInt8) {
        rtc.outb(0x70, register)
        rtc.outb(0x71, value)
    }

    /// Seconds, minutes, hours, day of week, day, month, year, century.
    static func date(_ rtc: RealTimeClock) -> [UInt8] {
        [0x00, 0x02, 0x04, 0x06, 0x07, 0x08, 0x09, 0x32].map { read(rtc, $0) }
    }

    static let second: UInt64 = 1_000_000_000

    @Test func startsAtTheDocumentedDateInBCD() {
        let (rtc, _, _) = Self.rtc()
        #expect(Self.date(rtc) == [0x00, 0x00, 0x00, 0x01, 0x01, 0x01, 0x06, 0x20])
        #expect(Self.read(rtc, 0x0A) == 0x26)
        #expect(Self.read(rtc, 0x0B) == 0x02)
        #expect(Self.read(rtc, 0x0D) == 0x80)
    }

    @Test func timeAdvancesWithVirtualTime() {
        let (rtc, clock, _) = Self.rtc()
        clock.advance(to: 3661 * Self.second - 1)
        #expect(Self.date(rtc)[0...2] == [0x00, 0x01, 0x01])
        clock.advance(to: 3661 * Self.second)
        #expect(Self.date(rtc)[0...2] == [0x01, 0x01, 0x01])
        clock.advance(to: (40 * 86_400 + 59) * Self.second)  // 2006-02-10, a Friday
        #expect(Self.date(rtc) == [0x59, 0x00, 0x00, 0x06, 0x10, 0x02, 0x06, 0x20])
    }

    @Test func setHoldsTheClockAndAcceptsANewDate() {
        let (rtc, clock, _) = Self.rtc()
        Self.write(rtc, 0x0B, 0x82)  // SET
        for (register, value) in [(UInt8(0x00), UInt8(0x59)), (0x02, 0x59), (0x04, 0x23), (0x07, 0x31), (0x08, 0x12)] {
            Self.write(rtc, register, value)
        }
        clock.advance(to: 5 * Self.second)
        #expect(Self.date(rtc) == [0x59, 0x59, 0x23, 0x01, 0x31, 0x12, 0x06, 0x20])  // held
        Self.write(rtc, 0x0B, 0x02)
        clock.advance(to: 6 * Self.second)
        #expect(Self.date(rtc) == [0x00, 0x00, 0x00, 0x02, 0x01, 0x01, 0x07, 0x20])  // 2007-01-01, a Monday
    }

    @Test func binaryAndTwelveHourFormats() {
        let (rtc, clock, _) = Self.rtc()
        clock.advance(to: (13 * 3600 + 5 * 60) * Self.second)
        Self.write(rtc, 0x0B, 0x06)  // binary, 24-hour
        #expect(Self.date(rtc) == [0, 5, 13, 1, 1, 1, 6, 20])
        Self.write(rtc, 0x0B, 0x04)  // binary, 12-hour
        #expect(Self.read(rtc, 0x04) == 0x81)
        Self.write(rtc, 0x0B, 0x00)  // BCD, 12-hour
        #expect(Self.read(rtc, 0x04) == 0x81)
        Self.write(rtc, 0x04, 0x92)  // 12 PM
        Self.write(rtc, 0x0B, 0x02)
        #expect(Self.read(rtc, 0x04) == 0x12)
        Self.write(rtc, 0x0B, 0x00)
        Self.write(rtc, 0x04, 0x12)  // 12 AM
        Self.write(rtc, 0x0B, 0x02)
        #expect(Self.read(rtc, 0x04) == 0x00)
    }

    @Test func periodicInterruptAtTheRateOfRegisterA() {
        let (rtc, clock, recorder) = Self.rtc()
        Self.write(rtc, 0x0B, 0x42)  // PIE; A is 0x26: 1024 Hz
        clock.advance(to: 976_562)
        #expect(recorder.levels.isEmpty)
        clock.advance(to: 976_563)  // 32 ticks of 32,768 Hz
        #expect(recorder.levels.map(\.0) == [976_563])
        #expect(Self.read(rtc, 0x0C) == 0xC0)
        #expect(Self.read(rtc, 0x0C) == 0x00)
        #expect(recorder.levels.map(\.1) == [true, false])
        clock.advance(to: 2_000_000)
        #expect(recorder.levels.map(\.0) == [976_563, 976_563, 1_953_125])
        Self.write(rtc, 0x0A, 0x23)  // 8192 Hz
        _ = Self.read(rtc, 0x0C)
        clock.advance(to: 2_100_000)
        // The next multiple of 4 ticks after 2,000,000 ns (tick 65) is tick 68 = 2,075,196 ns.
        #expect(recorder.levels.last?.0 == 2_075_196)
    }

    @Test func periodicFlagIsSetWithoutAnInterruptWhenPIEIsClear() {
        let (rtc, clock, recorder) = Self.rtc()
        clock.advance(to: 976_562)
        #expect(Self.read(rtc, 0x0C) == 0x00)
        clock.advance(to: 976_563)
        #expect(Self.read(rtc, 0x0C) == 0x40)
        #expect(Self.read(rtc, 0x0C) == 0x00)
        #expect(recorder.levels.isEmpty)
        #expect(clock.nextDeadline == .max)  // nothing scheduled while no interrupt is enabled
    }

    @Test func updateInProgressPrecedesEachSecond() {
        let (rtc, clock, _) = Self.rtc()
        clock.advance(to: 999_755_999)
        #expect(Self.read(rtc, 0x0A) == 0x26)
        clock.advance(to: 999_756_000)
        #expect(Self.read(rtc, 0x0A) == 0xA6)
        clock.advance(to: Self.second)
        #expect(Self.read(rtc, 0x0A) == 0x26)
    }

    @Test func updateEndedAndAlarmInterrupts() {
        let (rtc, clock, recorder) = Self.rtc()
        Self.write(rtc, 0x0A, 0x20)  // periodic off
        Self.write(rtc, 0x0B, 0x12)  // UIE
        clock.advance(to: Self.second)
        #expect(recorder.levels.map(\.0) == [Self.second])
        #expect(Self.read(rtc, 0x0C) == 0x90)
        Self.write(rtc, 0x01, 0x05)  // alarm at hh:mm:05 of any hour and minute
        Self.write(rtc, 0x03, 0xC0)
        Self.write(rtc, 0x05, 0xFF)
        Self.write(rtc, 0x0B, 0x22)  // AIE only
        clock.advance(to: 5 * Self.second - 1)
        #expect(recorder.levels.count == 2)
        clock.advance(to: 5 * Self.second)
        #expect(recorder.levels.last.map { [$0.0] } == [5 * Self.second])
        #expect(Self.read(rtc, 0x0C) == 0xB0)  // IRQF, AF and UF (set though UIE is off)
    }

    @Test func memorySizeBytes() {
        let (rtc, _, _) = Self.rtc(memorySize: 256 * 1024 * 1024)
        #expect([0x15, 0x16, 0x17, 0x18, 0x30, 0x31, 0x34, 0x35].map { Self.read(rtc, $0) }
            == [0x80, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x0F])
        let (small, _, _) = Self.rtc(memorySize: 8 * 1024 * 1024)
        #expect([0x15, 0x16, 0x17, 0x18, 0x34, 0x35].map { Self.read(small, $0) } == [0x80, 0x02, 0x00, 0x1C, 0, 0])
    }

    @Test func indexKeepsTheNMIMaskAndRAMIsPlain() {
        let (rtc, _, _) = Self.rtc()
        rtc.outb(0x70, 0xC0)
        #expect(rtc.isNMIMasked)
        rtc.outb(0x71, 0x5A)
        rtc.outb(0x70, 0x40)
        #expect(!rtc.isNMIMasked)
        #expect(rtc.inb(0x71) == 0x5A)
        #expect(rtc.inb(0x70) == 0xFF)
    }

    @Test func nonsenseWritesAreNormalizedAndNeverTrap() {
        let (rtc, clock, _) = Self.rtc()
        Self.write(rtc, 0x0B, 0x82)
        Self.write(rtc, 0x08, 0x02)
        Self.write(rtc, 0x07, 0x31)  // February 31 while held …
        Self.write(rtc, 0x0B, 0x02)
        #expect(Self.date(rtc)[4...5] == [0x03, 0x03])  // … is March 3 once released
        Self.write(rtc, 0x00, 0xFF)  // BCD 0xFF = 165 seconds: carries into the minutes
        #expect(Self.date(rtc)[0...1] == [0x45, 0x02])
        Self.write(rtc, 0x08, 0x00)  // month 0 is December of the year before
        #expect(Self.date(rtc)[5...6] == [0x12, 0x05])
        Self.write(rtc, 0x0C, 0xFF)
        Self.write(rtc, 0x0D, 0x00)
        Self.write(rtc, 0x06, 0x07)
        #expect(Self.read(rtc, 0x0D) == 0x80)
        Self.write(rtc, 0x0A, 0xFF)  // UIP is read-only
        #expect(Self.read(rtc, 0x0A) & 0x80 == 0)
        Self.write(rtc, 0x0B, 0xFF)  // everything, SET included
        clock.advance(to: 100 * Self.second)
        rtc.writePort(0x70, size: 4, value: 0xFFFF_FFFF)
        _ = rtc.readPort(0x70, size: 2)
        Self.write(rtc, 0x0B, 0x00)
        clock.advance(to: 200 * Self.second)
        #expect(Self.read(rtc, 0x0D) == 0x80)
    }
}
