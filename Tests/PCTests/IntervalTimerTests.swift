import PC
import Testing

/// The 8254 through ports 0x40–0x43 and 0x61, at exact virtual times.
///
/// Tick k of the 1,193,182 Hz input is at ⌈k × 10⁹ / 1,193,182⌉ ns: tick 1 at 839 ns,
/// 250 at 209,524, 1,000 at 838,096, 1,192 at 999,010, 1,193 at 999,848, 65,536 at 54,925,402.
@Suite struct IntervalTimerTests {
    final class Recorder {
        var edges: [(UInt64, Bool)] = []
    }

    static func timer() -> (IntervalTimer, VirtualClock, Recorder) {
        let clock = VirtualClock()
        let timer = IntervalTimer(clock: clock)
        let recorder = Recorder()
        timer.irq0 = { [unowned clock] level in recorder.edges.append((clock.now, level)) }
        return (timer, clock, recorder)
    }

    static func latchedCount(_ timer: IntervalTimer, channel: UInt8) -> UInt16 {
        timer.outb(0x43, channel << 6)
        let low = timer.inb(0x40 + UInt16(channel))
        return UInt16(timer.inb(0x40 + UInt16(channel))) << 8 | UInt16(low)
    }

    @Test func rateGeneratorEdgesAreScheduledAtExactTimes() {
        let (timer, clock, recorder) = Self.timer()
        timer.outb(0x43, 0x34)  // channel 0, low then high byte, mode 2
        timer.outb(0x40, 0xA9)
        timer.outb(0x40, 0x04)  // 1193: Linux's LATCH for HZ=1000
        #expect(recorder.edges.map(\.1) == [true])
        #expect(clock.nextDeadline == 999_010)
        clock.advance(to: 3_000_000)
        #expect(recorder.edges.map(\.0) == [0, 999_010, 999_848, 1_998_857, 1_999_695, 2_998_705, 2_999_543])
        #expect(recorder.edges.map(\.1) == [true, false, true, false, true, false, true])
    }

    @Test func rateGeneratorCountsDownAndReloads() {
        let (timer, clock, _) = Self.timer()
        timer.outb(0x43, 0x34)
        timer.outb(0x40, 0xA9)
        timer.outb(0x40, 0x04)
        #expect(Self.latchedCount(timer, channel: 0) == 1193)
        clock.advance(to: 209_524)  // tick 250
        #expect(Self.latchedCount(timer, channel: 0) == 943)
        clock.advance(to: 999_847)  // tick 1192: the count is 1 and OUT is low
        #expect(Self.latchedCount(timer, channel: 0) == 1)
        timer.outb(0x43, 0xE2)
        #expect(timer.inb(0x40) & 0x80 == 0)
        clock.advance(to: 999_848)  // tick 1193: reloaded
        #expect(Self.latchedCount(timer, channel: 0) == 1193)
    }

    @Test func interruptOnTerminalCountRaisesOUTOnce() {
        let (timer, clock, recorder) = Self.timer()
        timer.outb(0x43, 0x30)  // mode 0
        #expect(recorder.edges.isEmpty)  // OUT was low at power-on and stays low
        timer.outb(0x40, 0xE8)
        timer.outb(0x40, 0x03)  // 1000
        clock.advance(to: 209_524)
        #expect(Self.latchedCount(timer, channel: 0) == 750)
        clock.advance(to: 838_095)
        #expect(recorder.edges.isEmpty)
        clock.advance(to: 10_000_000)
        #expect(recorder.edges.map(\.0) == [838_096])
        #expect(recorder.edges.map(\.1) == [true])
        #expect(clock.nextDeadline == .max)
        // After the terminal count the counter wraps and keeps counting down:
        // 10 ms is tick 11,931, so the count is 1000 − 11,931 mod 65,536.
        #expect(Self.latchedCount(timer, channel: 0) == 54_605)
    }

    @Test func countZeroMeans65536() {
        let (timer, clock, recorder) = Self.timer()
        timer.outb(0x43, 0x34)
        timer.outb(0x40, 0)
        timer.outb(0x40, 0)
        #expect(Self.latchedCount(timer, channel: 0) == 0)
        clock.advance(to: 839)
        #expect(Self.latchedCount(timer, channel: 0) == 0xFFFF)
        clock.advance(to: 60_000_000)
        #expect(recorder.edges.map(\.0) == [0, 54_925_402 - 838, 54_925_402])
    }

    @Test func squareWaveOnChannel2ShowsInPort61() {
        let (timer, clock, _) = Self.timer()
        timer.outb(0x61, 0x03)  // gate 2 and speaker data
        timer.outb(0x43, 0xB6)  // channel 2, low then high, mode 3
        timer.outb(0x42, 100)
        timer.outb(0x42, 0)
        #expect(timer.inb(0x61) & 0x20 == 0x20)
        #expect(timer.isSpeakerHigh)
        clock.advance(to: 41_905 - 1)  // tick 50 is at 41,905 ns: still high
        #expect(timer.inb(0x61) & 0x20 == 0x20)
        clock.advance(to: 41_905)
        #expect(timer.inb(0x61) & 0x20 == 0)
        #expect(Self.latchedCount(timer, channel: 2) == 100)  // second half: counting down from 100 again
        clock.advance(to: 83_810)  // tick 100: high again
        #expect(timer.inb(0x61) & 0x20 == 0x20)
        timer.outb(0x61, 0x00)  // gate low: OUT high and counting stops
        clock.advance(to: 100_000)
        #expect(timer.inb(0x61) & 0x23 == 0x20)
    }

    @Test func squareWaveCountsByTwos() {
        let (timer, clock, _) = Self.timer()
        timer.outb(0x43, 0x36)
        timer.outb(0x40, 10)
        timer.outb(0x40, 0)
        clock.advance(to: 839 * 2)  // tick 2 is at 1,677 ns (⌈1,676.2⌉)
        #expect(Self.latchedCount(timer, channel: 0) == 6)
    }

    @Test func readBackLatchesStatusThenCount() {
        let (timer, clock, _) = Self.timer()
        timer.outb(0x43, 0x34)
        timer.outb(0x43, 0xE2)  // read-back status of channel 0
        #expect(timer.inb(0x40) == 0xF4)  // OUT high, null count, RW 3, mode 2, binary
        timer.outb(0x40, 0xA9)
        timer.outb(0x40, 0x04)
        clock.advance(to: 209_524)
        timer.outb(0x43, 0xC2)  // status and count of channel 0
        clock.advance(to: 500_000)  // the latches hold
        #expect(timer.inb(0x40) == 0xB4)
        #expect(timer.inb(0x40) == 0xAF)  // 943 = 0x03AF
        #expect(timer.inb(0x40) == 0x03)
    }

    @Test func aSecondLatchBeforeReadingIsIgnored() {
        let (timer, clock, _) = Self.timer()
        timer.outb(0x43, 0x34)
        timer.outb(0x40, 0xA9)
        timer.outb(0x40, 0x04)
        clock.advance(to: 209_524)
        timer.outb(0x43, 0x00)
        clock.advance(to: 500_000)
        timer.outb(0x43, 0x00)
        #expect(timer.inb(0x40) == 0xAF)
        #expect(timer.inb(0x40) == 0x03)
    }

    @Test func singleByteAccessModes() {
        let (timer, clock, _) = Self.timer()
        timer.outb(0x43, 0x54)  // channel 1, low byte only, mode 2
        timer.outb(0x41, 18)
        clock.advance(to: 839 * 5)  // 5 ticks (tick 5 at 4,191 ns)
        #expect(timer.inb(0x41) == 13)
        #expect(timer.inb(0x41) == 13)
        timer.outb(0x43, 0x64)  // channel 1, high byte only: count 0x0200
        timer.outb(0x41, 0x02)
        #expect(timer.inb(0x41) == 0x02)
    }

    @Test func bcdCountsInDecimal() {
        let (timer, clock, _) = Self.timer()
        timer.outb(0x43, 0x35)  // mode 2, BCD
        timer.outb(0x40, 0x00)
        timer.outb(0x40, 0x10)  // 1000 in BCD
        clock.advance(to: 839)
        #expect(Self.latchedCount(timer, channel: 0) == 0x0999)
        timer.outb(0x40, 0x00)
        timer.outb(0x40, 0x00)  // 0 is 10,000 in BCD
        clock.advance(to: 839 + 839)
        #expect(Self.latchedCount(timer, channel: 0) == 0x9999)
    }

    @Test func hardwareTriggeredOneShotOnChannel2() {
        let (timer, clock, _) = Self.timer()
        timer.outb(0x43, 0xB2)  // channel 2, mode 1
        timer.outb(0x42, 100)
        timer.outb(0x42, 0)
        #expect(timer.inb(0x61) & 0x20 == 0x20)  // waits for the gate
        clock.advance(to: 10_000)  // tick 11
        timer.outb(0x61, 0x01)  // trigger
        #expect(timer.inb(0x61) & 0x20 == 0)
        clock.advance(to: TickRateValues.nanoseconds(atTick: 11 + 99))
        #expect(timer.inb(0x61) & 0x20 == 0)
        clock.advance(to: TickRateValues.nanoseconds(atTick: 11 + 100))
        #expect(timer.inb(0x61) & 0x20 == 0x20)
    }

    @Test func gateLowSuspendsModeZero() {
        let (timer, clock, _) = Self.timer()
        timer.outb(0x43, 0xB0)  // channel 2, mode 0: gate is low, so counting waits
        timer.outb(0x42, 100)
        timer.outb(0x42, 0)
        clock.advance(to: 100_000)
        #expect(Self.latchedCount(timer, channel: 2) == 100)
        timer.outb(0x61, 0x01)
        clock.advance(to: TickRateValues.nanoseconds(atTick: TickRateValues.ticks(at: 100_000) + 30))
        #expect(Self.latchedCount(timer, channel: 2) == 70)
    }

    @Test func refreshToggleFollowsVirtualTime() {
        let (timer, clock, _) = Self.timer()
        #expect(timer.inb(0x61) & 0x10 == 0)
        clock.advance(to: 15_085)
        #expect(timer.inb(0x61) & 0x10 == 0x10)
        clock.advance(to: 30_170)
        #expect(timer.inb(0x61) & 0x10 == 0)
    }

    @Test func nonsenseProgrammingNeverTrapsOrHangs() {
        let (timer, clock, recorder) = Self.timer()
        #expect(timer.inb(0x43) == 0xFF)
        #expect(timer.inb(0x40) == 0x00)  // unprogrammed: reads its (empty) count
        timer.outb(0x40, 0x12)  // a count before any control word
        timer.outb(0x43, 0xC0)  // read-back of no counter
        timer.outb(0x43, 0xFE)  // every mode bit: mode 7 acts as 3
        timer.outb(0x40, 1)
        timer.outb(0x40, 0)  // count 1
        timer.outb(0x43, 0x34)
        timer.outb(0x40, 1)
        timer.outb(0x40, 0)  // count 1 in mode 2: illegal, OUT stays high
        clock.advance(to: 10_000_000)
        #expect(recorder.edges.last?.1 == true)
        #expect(clock.nextDeadline == .max)
        timer.outb(0x43, 0x35)
        timer.outb(0x40, 0xFF)
        timer.outb(0x40, 0xFF)  // BCD digits above 9
        clock.advance(to: 20_000_000)
        timer.writePort(0x40, size: 4, value: 0xFFFF_FFFF)  // also reaches 0x41–0x43
        _ = timer.readPort(0x42, size: 4)
        timer.outb(0x43, 0x30)  // mode 0, no count yet: channel 0 stops
        timer.outb(0x40, 0xFF)
        timer.outb(0x40, 0xFF)  // a one-shot count: one edge, however far time goes
        clock.advance(to: UInt64.max / 2)
        timer.outb(0x43, 0xE2)
        #expect(timer.inb(0x40) == 0xB0)  // OUT high, mode 0, binary
        #expect(clock.now == UInt64.max / 2)
        #expect(clock.nextDeadline == .max)
    }
}

/// The 8254's tick arithmetic, repeated here so tests state times independently.
enum TickRateValues {
    static func nanoseconds(atTick tick: UInt64) -> UInt64 { (tick * 1_000_000_000 + 1_193_181) / 1_193_182 }
    static func ticks(at time: UInt64) -> UInt64 { time * 1_193_182 / 1_000_000_000 }
}
