import Foundation
import Testing

/// Issue 16, item 3: a stack that leaves its union, and a thread_info it overwrites, are events.
@Suite struct KernelEventTruthTests {
    static let image = URL(fileURLWithPath: TraceCommandTests.switchImage).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("stack_overflow/stack_overflow.elf").path

    @Test func theStackOverflowImageReportsTheOverflowAndTheClobberedThreadInfo() throws {
        let text = try KstepProcess.run(["trace", Self.image, "--no-color"]).standardOutput
        let lines = text.split(separator: "\n").map(String.init)
        let sub = try #require(lines.firstIndex { $0.contains("subl $0x8c, %esp") && $0.contains("esp=015fa06c->015f9fe0") })
        #expect(lines[sub + 1] == "        -- stack overflow: esp 015f9fe0 left the thread_union at 015fa000, 32 bytes below it",
                "\(lines[sub + 1])")
        #expect(text.contains("-- thread_info clobbered: task of the thread_info at 015fa000 c0101000 -> 5a5a5a5a"), "\(text.suffix(3000))")
        let json = try KstepProcess.run(["trace", Self.image, "--format", "jsonl"]).standardOutput
        #expect(json.contains("{\"kind\":\"stack-overflow\",\"esp\":\"0x015f9fe0\",\"thread_info\":\"0x015fa000\",\"below\":32}"))
        #expect(json.contains("{\"kind\":\"thread-info-clobbered\",\"thread_info\":\"0x015fa000\",\"field\":\"task\",\"offset\":0,"
                              + "\"old\":\"0xc0101000\",\"new\":\"0x5a5a5a5a\"}"))
    }

    @Test func theSwitchImageHasNoFalseAlarms() throws {
        let text = try KstepProcess.run(["trace", TraceCommandTests.switchImage, "--no-color"]).standardOutput
        #expect(!text.contains("stack overflow"))
        #expect(!text.contains("clobbered"))
    }

    /// wait_queues switches between tasks whose unions are neighbours: a switch onto the
    /// stack of the union just below is a switch, not an overflow.
    @Test func aSwitchToTheUnionBelowIsNotAnOverflow() throws {
        let image = URL(fileURLWithPath: Self.image).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("wait_queues/wait_queues.elf").path
        let text = try KstepProcess.run(["trace", image, "--no-color", "--no-mem"]).standardOutput
        #expect(text.contains("-- switch: reader2 -> reader1"))
        #expect(!text.contains("stack overflow"))
    }
}

/// Issue 16, item 3: a `current` that names no task is an event too.
@Suite struct BadCurrentEventTests {
    @Test func aNullTaskPointerIsReported() throws {
        let text = try KstepProcess.run(["trace", "--no-color", "--asm", "movl $0, init_thread_union; pushl %eax; pushl %eax",
                                         "--set", "esp=0x015fb000"]).standardOutput
        #expect(text.contains("-- bad current: thread_info 015fa000 has task NULL"), "\(text)")
    }

    @Test func anUnmappedThreadInfoAndAGarbageTaskAreReported() throws {
        let overflow = try KstepProcess.run(["trace", KernelEventTruthTests.image, "--no-color"]).standardOutput
        #expect(overflow.contains("-- bad current: thread_info 015f8000"), "\(overflow.suffix(2000))")
        #expect(overflow.contains("-- bad current: thread_info 015fa000 names task 5a5a5a5a, which is not mapped"))
        let garbage = try KstepProcess.run(["trace", "--no-color", "--format", "jsonl", "--asm",
                                            "movl $0x5a5a5a5a, init_thread_union; pushl %eax", "--set", "esp=0x015fb000"])
        #expect(garbage.standardOutput.contains("{\"kind\":\"bad-current\",\"thread_info\":\"0x015fa000\",\"task\":\"0x5a5a5a5a\","
                                                + "\"problem\":\"unmapped-task\"}"), "\(garbage.standardOutput)")
    }
}

/// Issue 16, item 3: `--stack-report`.
@Suite struct StackReportTests {
    @Test func eachUnionsDeepestStackIsReported() throws {
        let output = try KstepProcess.run(["trace", TraceCommandTests.switchImage, "--stack-report", "--format", "jsonl",
                                           "--output", "/dev/null"])
        #expect(output.status == 0)
        let text = output.standardError
        #expect(text.contains("stack report (THREAD_SIZE 8192, recorded instructions):"), "\(text)")
        #expect(text.contains("  a_thread_union 015fa000, A (pid 1): deepest esp "), "\(text)")
        #expect(text.contains("bytes left above thread_info, at step "))
        let overflow = try KstepProcess.run(["trace", KernelEventTruthTests.image, "--stack-report", "--output", "/dev/null"])
        #expect(overflow.standardError.contains("init_thread_union 015fa000"), "\(overflow.standardError)")
    }
}
