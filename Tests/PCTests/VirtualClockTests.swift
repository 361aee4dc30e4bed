import PC
import Testing

/// Ordering, cancellation and the cheap `nextDeadline` of the device clock.
@Suite struct VirtualClockTests {
    @Test func firesInDeadlineOrderWithNowAtEachDeadline() {
        let clock = VirtualClock()
        var fired: [(String, UInt64)] = []
        clock.schedule(at: 300) { fired.append(("c", clock.now)) }
        clock.schedule(at: 100) { fired.append(("a", clock.now)) }
        clock.schedule(at: 200) { fired.append(("b", clock.now)) }
        #expect(clock.nextDeadline == 100)
        clock.advance(to: 250)
        #expect(fired.map(\.0) == ["a", "b"])
        #expect(fired.map(\.1) == [100, 200])
        #expect(clock.now == 250)
        #expect(clock.nextDeadline == 300)
        clock.advance(to: 1000)
        #expect(fired.map(\.0) == ["a", "b", "c"])
        #expect(clock.nextDeadline == .max)
    }

    @Test func tiesRunInSchedulingOrder() {
        let clock = VirtualClock()
        var order: [Int] = []
        for index in 0..<5 { clock.schedule(at: 50) { order.append(index) } }
        clock.advance(to: 50)
        #expect(order == [0, 1, 2, 3, 4])
    }

    @Test func actionsMayScheduleMoreIncludingAtTheSameTime() {
        let clock = VirtualClock()
        var times: [UInt64] = []
        func tick() {
            times.append(clock.now)
            if clock.now < 40 { clock.schedule(at: clock.now + 10, tick) }
        }
        clock.schedule(at: 10, tick)
        clock.schedule(at: 20) {
            times.append(1000 + clock.now)
            clock.schedule(at: clock.now) { times.append(2000 + clock.now) }
        }
        clock.advance(to: 35)
        // At 20 the action scheduled first (the "b" at 20) runs before the tick rescheduled at 10 → 20.
        #expect(times == [10, 1020, 20, 2020, 30])
        clock.advance(to: 100)
        #expect(times == [10, 1020, 20, 2020, 30, 40])
    }

    @Test func cancelledActionsNeverRun() {
        let clock = VirtualClock()
        var ran: [Int] = []
        let first = clock.schedule(at: 10) { ran.append(1) }
        clock.schedule(at: 20) { ran.append(2) }
        clock.cancel(first)
        #expect(clock.nextDeadline == 20)
        clock.cancel(first)  // twice: nothing
        clock.advance(to: 30)
        #expect(ran == [2])
        #expect(clock.nextDeadline == .max)
        #expect(clock.scheduledCount == 0)
    }

    @Test func anActionCanCancelALaterOne() {
        let clock = VirtualClock()
        var ran: [Int] = []
        var later = TimerToken?.none
        clock.schedule(at: 10) { if let later { clock.cancel(later) }; ran.append(1) }
        later = clock.schedule(at: 10) { ran.append(2) }
        clock.advance(to: 10)
        #expect(ran == [1])
    }

    @Test func pastDeadlinesAreDueWithoutMovingTimeBack() {
        let clock = VirtualClock(now: 500)
        var seen: [UInt64] = []
        clock.schedule(at: 100) { seen.append(clock.now) }
        #expect(clock.nextDeadline == 500)
        clock.advance(to: 400)
        #expect(seen == [500])
        #expect(clock.now == 500)
    }

    @Test func nestedAdvanceIsIgnored() {
        let clock = VirtualClock()
        var order: [UInt64] = []
        clock.schedule(at: 10) { clock.advance(to: 1000); order.append(clock.now) }
        clock.schedule(at: 20) { order.append(clock.now) }
        clock.advance(to: 15)
        #expect(order == [10])
        #expect(clock.now == 15)
    }

    @Test func advancingToTheEndOfTimeTerminates() {
        let clock = VirtualClock()
        var count = 0
        clock.schedule(at: .max) { count += 1 }
        clock.advance(to: .max)
        clock.advance(to: .max)
        #expect(count == 1)
        #expect(clock.now == .max)
        #expect(clock.nextDeadline == .max)
    }

    @Test func reschedulingInALoopLeavesOneLiveAction() {
        let clock = VirtualClock()
        var token = clock.schedule(at: 1_000_000) {}
        for step in 0..<10_000 {
            clock.cancel(token)
            token = clock.schedule(at: 1_000_000 + UInt64(step)) {}
        }
        #expect(clock.scheduledCount == 1)
        #expect(clock.nextDeadline == 1_009_999)
    }
}
