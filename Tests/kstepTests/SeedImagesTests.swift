import Foundation
import Testing

/// The seed images (issue 14): each passes `kstep test` (expectations, console,
/// golden trace, check-current) and prints the seeds' lines.
@Suite struct SeedImagesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    @Test(arguments: [("wait_queues", 1), ("zombie_monitor", 1), ("kernel_thread", 1), ("set_task_state", 1), ("irq_stacks", 2), ("hw_task_switch", 1), ("cow_fork", 1)])
    func imagePassesItsExpectationsAndGoldenTrace(directory: String, images: Int) throws {
        let output = try KstepProcess.run(["test", Self.path("Images/" + directory)])
        #expect(output.status == 0)
        #expect(output.standardOutput.split(separator: "\n").filter { $0.hasPrefix("PASS ") }.count == images)
        #expect(output.standardOutput.hasSuffix("\(images) passed, 0 failed\n"))
    }

    @Test func zombieMonitorPrintsTheSeedsFormat() throws {
        let output = try KstepProcess.run(["run", "--pc", Self.path("Images/zombie_monitor/zombie_monitor.elf")])
        #expect(output.standardOutput.contains("::Inside Thread Function::\nKernel Thread::Current Process is \"swapper \" (pid: 3) \nStarting Iteration\n"))
        #expect(output.standardOutput.contains("Task List::Process PID = 2,::PPID = 1,::State = 8 ::Zombie=ZOMBIE\n"))
        #expect(output.standardOutput.contains("Task List::Process PID = 3,::PPID = 0,::State = 1 ::Zombie=NON-ZOMBIE\n"))
        #expect(output.standardOutput.contains("from state 1 returned 0 after 300 jiffies"))
        #expect(output.standardOutput.contains("from state 0 returned 300 after 0 jiffies"))
    }

    @Test func setTaskStateUsesEachXchgWidthWithoutALockPrefix() throws {
        let output = try KstepProcess.run(["trace", "--format", "text", Self.path("Images/set_task_state/set_task_state.elf")])
        let lines = output.standardOutput.split(separator: "\n")
        for (symbol, bytes, asm) in [("xchg_state_1+0x8", "8602", "xchgb %al, (%edx)"), ("xchg_state_2+0x8", "668702", "xchgw %ax, (%edx)"),
                                     ("xchg_state_4+0x8", "8702", "xchgl %eax, (%edx)")] {
            let line = try #require(lines.first { $0.contains("<\(symbol)>") })
            #expect(line.contains(" \(bytes) ") && line.contains(asm))
        }
        #expect(!lines.contains { $0.contains("lock") && $0.contains("xchg") })
    }

    @Test func hardwareTaskSwitchesSaveTheWholeContextInTheOldTSS() throws {
        let output = try KstepProcess.run(["trace", "--format", "jsonl", Self.path("Images/hw_task_switch/hw_task_switch.elf")])
        let records = try output.standardOutput.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let jumps = records.filter { record in
            (record["events"] as? [[String: Any]] ?? []).contains { $0["kind"] as? String == "task-switch" }
        }
        #expect(jumps.count == 3)
        #expect(jumps.allSatisfy { ($0["asm"] as? String)?.hasPrefix("ljmp") == true })
        let selectors = jumps.compactMap { record in
            (record["events"] as? [[String: Any]])?.first { $0["kind"] as? String == "task-switch" }
                .map { "\($0["from"] ?? "")>\($0["to"] ?? "")" }
        }
        #expect(selectors == ["0x00000080>0x00000088", "0x00000088>0x00000090", "0x00000090>0x00000080"])
        // B's ljmp writes B's TSS: eip (offset 32) becomes b_after_ljmp's address, eax (40) 0xb0b0b0b0.
        let writes = try #require(jumps[1]["mem"] as? [[String: Any]])
        #expect(writes.contains { $0["new"] as? String == "0xb0b0b0b0" })
        #expect(writes.count >= 16)
    }

    @Test func textTracesSpellTheNewEventsOut() throws {
        let state = try KstepProcess.run(["trace", "--format", "text", Self.path("Images/set_task_state/set_task_state.elf")])
        #expect(state.standardOutput.contains("        -- task-state: worker (pid 1, task "))
        #expect(state.standardOutput.contains(") TASK_STOPPED -> TASK_RUNNING\n"))
        let queues = try KstepProcess.run(["trace", "--format", "text", Self.path("Images/wait_queues/wait_queues.elf")])
        #expect(queues.standardOutput.contains("-- wait-queue: add-exclusive writer1 (pid 3, task "))
        #expect(queues.standardOutput.contains("), exclusive, queue "))
        #expect(queues.standardOutput.contains(" <event_wq>\n"))
        let timers = try KstepProcess.run(["trace", "--pc", "--format", "text", Self.path("Images/zombie_monitor/zombie_monitor.elf")])
        #expect(timers.standardOutput.contains("-- timer: expire "))
        #expect(timers.standardOutput.contains(", expires 302, function c0"))
        #expect(timers.standardOutput.contains(" <process_timeout>, data "))
        let stacks = try KstepProcess.run(["trace", "--pc", "--thread-size", "4096", "--format", "text",
                                           Self.path("Images/irq_stacks/irq_stacks_4k.elf")])
        #expect(stacks.standardOutput.contains("-- irq-stack: esp 015fc000 moves onto the IRQ stack 015fb000 <hardirq_thread_union> from 015fd000, current worker (pid 1), previous_esp 015fdfa8"))
        let cow = try KstepProcess.run(["trace", "--format", "text", Self.path("Images/cow_fork/cow_fork.elf")])
        #expect(cow.standardOutput.contains("-- cow: write fault at 40000000, pte "))
        #expect(cow.standardOutput.contains("-- cow: copy frame "))
    }

    @Test func checkCurrentPassesOnEveryUnion() throws {
        for image in ["wait_queues/wait_queues.elf", "kernel_thread/kernel_thread.elf", "cow_fork/cow_fork.elf"] {
            let output = try KstepProcess.run(["check-current", Self.path("Images/" + image)])
            #expect(output.status == 0)
            #expect(output.standardOutput.contains("current: OK (THREAD_SIZE 8192)"))
            #expect(!output.standardOutput.contains(" 0 stack pointers"))
        }
        // 4 KB: the task's union and the hard and soft IRQ stacks all give the right thread_info.
        let output = try KstepProcess.run(["check-current", Self.path("Images/irq_stacks/irq_stacks_4k.elf"), "--thread-size", "4096"])
        #expect(output.status == 0)
        #expect(output.standardOutput.contains("hardirq_thread_union at 0x015fb000, 4096 bytes: 1011 stack pointers, 0 mismatches"))
        #expect(output.standardOutput.contains("softirq_thread_union at 0x015fc000, 4096 bytes: 1011 stack pointers, 0 mismatches"))
    }
}
