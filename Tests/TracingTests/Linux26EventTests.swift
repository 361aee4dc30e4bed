import Foundation
import I386
import Images
import KernelModel
import Testing
@testable import Tracing

/// The `wait-queue`, `task-state` and `timer` events, recognised from an
/// image's symbols (add_wait_queue, default_wake_function, call_timer_fn, …)
/// and its task_struct objects, on the seed images that show them.
@Suite struct Linux26EventTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Every event of an image's JSONL trace, in order, with the record's step.
    static func events(_ image: String, pc: Bool = false, includeMemory: Bool = true,
                       threadSize: UInt32 = Linux26.threadSize) throws -> [[String: Any]] {
        var loaded = try ImageLoader.load(.file(root.appendingPathComponent(image).path))
        if pc { loaded.attachPC() }
        var configuration = TraceConfiguration()
        configuration.format = .jsonl
        configuration.includeMemory = includeMemory
        configuration.kernel = .linux26(Linux26Profile(threadSize: threadSize))
        let sink = ByteSink(handle: nil)
        var tracer = try Tracer(configuration: configuration, image: loaded, sink: sink)
        let reason = loaded.machine.run(maxSteps: 2_000_000, until: nil, observer: &tracer)
        tracer.finish()
        #expect(reason == .halted)
        return try String(decoding: sink.contents, as: UTF8.self).split(separator: "\n").flatMap { line in
            let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return (record["events"] as? [[String: Any]] ?? []).map { $0.merging(["step": record["step"] ?? 0]) { a, _ in a } }
        }
    }

    static func kind(_ events: [[String: Any]], _ kind: String) -> [[String: Any]] {
        events.filter { $0["kind"] as? String == kind }
    }

    @Test func wakeUpWakesEveryNonExclusiveSleeperThenOneExclusive() throws {
        let events = try Self.events("Images/wait_queues/wait_queues.elf")
        let queue = Self.kind(events, "wait-queue")
        // Part 1: five adds, two of them exclusive, all on event_wq.
        let adds = queue.prefix(5)
        #expect(adds.map { $0["comm"] as? String } == ["reader1", "reader2", "writer1", "reader3", "writer2"])
        #expect(adds.map { $0["action"] as? String } == ["add", "add", "add-exclusive", "add", "add-exclusive"])
        #expect(Set(adds.compactMap { $0["queue"] as? String }).count == 1)
        // The first wake_up: the non-exclusive sleepers (at the front, newest first), then exactly one exclusive.
        let wakes = queue.dropFirst(5).prefix { $0["action"] as? String == "wake" }
        #expect(wakes.map { $0["comm"] as? String } == ["reader3", "reader2", "reader1", "writer1"])
        #expect(wakes.map { $0["exclusive"] as? Bool } == [false, false, false, true])
        // Each wake is followed by the write that makes the task TASK_RUNNING.
        let states = Self.kind(events, "task-state")
        let firstWake = try #require(wakes.first?["step"] as? Int)
        let running = states.first { ($0["step"] as? Int ?? 0) >= firstWake }
        #expect(running?["comm"] as? String == "reader3")
        #expect(running?["old"] as? Int == 2 && running?["new"] as? Int == 0)
        #expect(running?["old_name"] as? String == "TASK_UNINTERRUPTIBLE" && running?["new_name"] as? String == "TASK_RUNNING")
        // The thundering herd: 10 wakes of non-exclusive herd members, 4 of exclusive ones.
        let allWakes = Self.kind(queue, "wait-queue").filter { $0["action"] as? String == "wake" }
        #expect(allWakes.filter { ($0["comm"] as? String)?.hasPrefix("herd") == true }.count == 10)
        #expect(allWakes.filter { ($0["comm"] as? String)?.hasPrefix("xherd") == true }.count == 4)
        // All 13 tasks end as zombies (TASK_ZOMBIE, 8), each once.
        #expect(states.filter { $0["new"] as? Int == 8 }.count == 13)
    }

    @Test func scheduleTimeoutAddsATimerThatTheTickExpires() throws {
        let events = try Self.events("Images/zombie_monitor/zombie_monitor.elf", pc: true)
        let timers = Self.kind(events, "timer")
        // sleep(120) in Example10_3, then the monitor's two schedule_timeout(30*HZ) (HZ 10).
        #expect(timers.map { $0["action"] as? String } == ["add", "add", "expire", "del", "add", "del"])
        #expect(timers.map { $0["expires"] as? Int } == [1200, 302, 302, 302, 603, 603])
        #expect(timers.allSatisfy { $0["function_name"] as? String == "process_timeout" })
        // The expiry runs in the timer interrupt: an irq record comes shortly before it.
        let expire = try #require(timers.first { $0["action"] as? String == "expire" })
        let expireStep = try #require(expire["step"] as? Int)
        let irqs = Self.kind(events, "irq").compactMap { $0["step"] as? Int }.filter { $0 < expireStep }
        #expect(expireStep - (irqs.last ?? 0) < 100)
        // process_timeout -> wake_up_process: MyTask TASK_INTERRUPTIBLE -> TASK_RUNNING, after the expiry.
        let states = Self.kind(events, "task-state")
        let woken = states.first { ($0["step"] as? Int ?? 0) > expireStep }
        #expect(woken?["comm"] as? String == "MyTask" && woken?["old"] as? Int == 1 && woken?["new"] as? Int == 0)
        // The zombie: the child's exit, TASK_RUNNING -> TASK_ZOMBIE (8).
        #expect(states.contains { $0["pid"] as? Int == 2 && $0["new"] as? Int == 8 && $0["old"] as? Int == 0 })
    }

    @Test func everyXchgWidthIsATaskStateEvent() throws {
        let events = try Self.events("Images/set_task_state/set_task_state.elf")
        let states = Self.kind(events, "task-state")
        #expect(states.map { $0["comm"] as? String } == ["worker", "worker", "worker", "worker", "swapper", "swapper"])
        #expect(states.map { $0["old"] as? Int } == [0, 1, 2, 4, 0, 2])
        #expect(states.map { $0["new"] as? Int } == [1, 2, 4, 0, 2, 0])
        #expect(states.map { $0["new_name"] as? String } == ["TASK_INTERRUPTIBLE", "TASK_UNINTERRUPTIBLE", "TASK_STOPPED",
                                                             "TASK_RUNNING", "TASK_UNINTERRUPTIBLE", "TASK_RUNNING"])
    }

    @Test func interruptsMoveOntoTheHardAndSoftIRQStacks() throws {
        let events = try Self.events("Images/irq_stacks/irq_stacks_4k.elf", pc: true, threadSize: 4096)
        let moves = Self.kind(events, "irq-stack")
        let worker = "0x015fd000", hardirq = "0x015fb000", softirq = "0x015fc000"
        // task -> hardirq -> task, task -> softirq -> (nested tick) hardirq -> softirq -> task
        #expect(moves.map { $0["from"] as? String } == [worker, hardirq, worker, softirq, hardirq, softirq])
        #expect(moves.map { $0["to"] as? String } == [hardirq, worker, softirq, hardirq, softirq, worker])
        #expect(moves.map { $0["to_irq_stack"] as? Bool } == [true, false, true, true, true, false])
        #expect(moves.allSatisfy { $0["comm"] as? String == "worker" })
        // previous_esp: where do_IRQ / do_softirq came from (the worker's stack, then the softirq stack).
        #expect(moves[0]["previous_esp"] as? String == "0x015fdfa8" && moves[3]["previous_esp"] as? String == "0x015fcfc0")
        #expect(moves[1]["previous_esp"] is NSNull)
        // The nested tick interrupted the softirq on its stack and still names the worker.
        let irqs = Self.kind(events, "irq")
        #expect(irqs.count == 2 && irqs.allSatisfy { $0["process"] as? String == "worker" })
        // With 8 KB stacks and no IRQ stacks, nothing moves.
        #expect(Self.kind(try Self.events("Images/irq_stacks/irq_stacks_8k.elf", pc: true), "irq-stack").isEmpty)
    }

    @Test func copyOnWriteFaultsCopyOnlyPagesStillShared() throws {
        let events = try Self.events("Images/cow_fork/cow_fork.elf")
        let cow = Self.kind(events, "cow")
        // child writes page 0 (copy), parent page 0 (re-enabled), parent page 1 (copy), child page 1 (re-enabled)
        #expect(cow.map { $0["action"] as? String } == ["fault", "copy", "fault", "fault", "copy", "fault"])
        #expect(cow.map { $0["address"] as? String } == ["0x40000000", "0x40000000", "0x40000000", "0x40001000",
                                                          "0x40001000", "0x40001000"])
        // The faulting entries are present and read-only; a copy goes from the shared frame to a new one.
        #expect(cow.filter { $0["action"] as? String == "fault" }.allSatisfy {
            guard let pte = ($0["pte"] as? String).flatMap({ UInt32($0.dropFirst(2), radix: 16) }) else { return false }
            return pte & 3 == 1
        })
        #expect(cow[1]["from"] as? String == cow[0]["frame"] as? String)
        #expect(cow[1]["to"] as? String != cow[1]["from"] as? String)
    }

    @Test func taskStateNeedsTheWriteLog() throws {
        let events = try Self.events("Images/wait_queues/wait_queues.elf", includeMemory: false)
        #expect(Self.kind(events, "task-state").isEmpty)
        #expect(Self.kind(events, "wait-queue").count == 57)
    }

    @Test func anImageWithoutTheFunctionsHasNoSuchEvents() throws {
        let events = try Self.events("Images/switch_to/switch_to.elf")
        #expect(Self.kind(events, "wait-queue").isEmpty && Self.kind(events, "timer").isEmpty)
    }
}
