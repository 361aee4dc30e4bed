import Foundation
import I386
import Images
import KernelModel
import PC
import Testing
@testable import Tracing

/// xv6's events on a small Multiboot kernel laid out like xv6 (its `struct cpu`
/// and `struct proc` offsets, a `swtch` that stacks a context and loads esp
/// from edx): the scheduler makes process "init" (pid 7) current, sets esp0,
/// switches to it; init makes system call 16 (`int $0x40`), waits for a timer
/// interrupt, and switches back; the scheduler clears `cpus[0].proc` and halts.
@Suite struct XV6EventTests {
    static let kernel = """
        .set PROC, 172
        .set SCHEDULER, 4
        .set ESP0, 12
        .text
        .globl _start
        _start:
            jmp start
        .align 4
            .long 0x1BADB002, 0, -0x1BADB002
        .macro GATE vector, handler
            movl $\\handler, %eax
            movw %ax, idt+\\vector*8
            movw $0x08, idt+\\vector*8+2
            movw $0xEE00, idt+\\vector*8+4
            shrl $16, %eax
            movw %ax, idt+\\vector*8+6
        .endm
        start:
            movl $scheduler_stack, %esp
            GATE 32, timer_handler
            GATE 0x40, syscall_handler
            lidt idt_descriptor
            movl $0x13F, 0xFEE000F0
            movl $0xB, 0xFEE003E0
            movl $init_proc, cpus+PROC
            movl $init_stack, cpus+ESP0
            movl $cpus+SCHEDULER, %eax
            movl init_context, %edx
            call swtch
            movl $0, cpus+PROC
            hlt
        .globl swtch
        swtch:
            pushl %ebp
            pushl %ebx
            pushl %esi
            pushl %edi
            movl %esp, (%eax)
        .globl stack_switch
        stack_switch:
            movl %edx, %esp
            popl %edi
            popl %esi
            popl %ebx
            popl %ebp
            ret
        init_main:
            movl $16, %eax
            int $0x40
            movl $0x20, 0xFEE00320
            movl $500, 0xFEE00380
            sti
            hlt
            cli
            movl $init_context, %eax
            movl cpus+SCHEDULER, %edx
            call swtch
        timer_handler:
            movl $0, 0xFEE000B0
            iret
        syscall_handler:
            iret
        .data
        .align 8
        idt: .space 256*8
        idt_descriptor: .word 256*8-1
            .long idt
        .globl cpus
        cpus: .space 176
        .globl init_proc
        init_proc:
            .long 0, 0, init_stack - 4096, 4, 7
            .space 108 - 20
            .ascii "init"
            .space 12
        init_context: .long init_context_frame
        .bss
        .space 4096
        scheduler_stack:
        .space 4096 - 20
        init_context_frame: .space 16
            .long 0
        init_stack:
        """

    /// Fixes the initial context's return address (init_main) and traces the kernel with an xv6 profile of it.
    static func trace(_ format: TraceFormat, includeMemory: Bool = true) throws -> String {
        let elf = try GNUToolchain.assemble(text: kernel)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kstep-xv6-\(UUID().uuidString).elf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(elf.bytes).write(to: URL(fileURLWithPath: path))
        let image = try MultibootLoader.load(path, memorySize: 4 << 20)
        let symbols = image.symbols
        func address(_ name: String) throws -> UInt32 { try #require(symbols.symbol(named: name)).value }
        let frame = try address("init_context_frame")
        try image.machine.write([UInt8](withUnsafeBytes(of: try address("init_main").littleEndian) { Array($0) }),
                                at: frame + 16)
        let profile = XV6Profile(
            process: .init(size: 124, kernelStack: 8, state: 12, pid: 16, name: 108, nameLength: 16),
            cpu: .init(size: 176, scheduler: 4, taskState: 8, taskStateESP0: 12, process: 172),
            processStates: ["UNUSED", "EMBRYO", "SLEEPING", "RUNNABLE", "RUNNING", "ZOMBIE"],
            cpus: try address("cpus"), stackSwitch: try address("stack_switch"))
        var configuration = TraceConfiguration()
        configuration.format = format
        configuration.includeMemory = includeMemory
        configuration.kernel = .xv6(profile)
        let sink = ByteSink(handle: nil)
        var tracer = try Tracer(configuration: configuration, symbols: symbols, sink: sink)
        tracer.observe(try #require(image.platform))
        let reason = image.machine.run(maxSteps: 100_000, until: nil, observer: &tracer)
        tracer.finish()
        #expect(reason == .halted)
        return String(decoding: sink.contents, as: UTF8.self)
    }

    @Test(arguments: [true, false])
    func textShowsTheProcessesTheSwitchesAndTheInterrupt(includeMemory: Bool) throws {
        let text = try Self.trace(.text, includeMemory: includeMemory)
        let events = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.hasPrefix("--") }
        let expected = [
            "-- current: init (pid 7), proc ", "-- tss.esp0 = ", "-- switch: scheduler -> init (esp moves to init's stack)",
            "-- syscall 16 (write)", "-- hlt", "-- irq: vector 32 (local APIC timer), interrupted ", "-- eoi: local APIC, vector 32",
            "-- switch: init -> scheduler (esp moves to scheduler's stack)",
            "-- current: no process (cpus[0].proc = 0: the scheduler)", "-- hlt",
        ]
        #expect(events.count == expected.count, "\(events)")
        for (event, prefix) in zip(events, expected) { #expect(event.hasPrefix(prefix), "\(event)") }
        #expect(events.first?.hasSuffix(", RUNNING") == true)
        let irq = try #require(events.first { $0.hasPrefix("-- irq:") })
        #expect(irq.contains("<init_main+0x") && irq.contains(" in ring 0, init (pid 7), delivered to 0008:"))
    }

    @Test func jsonlNamesTheProcessItsStateAndKernelStack() throws {
        let records = try Self.trace(.jsonl).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let events = records.flatMap { $0["events"] as? [[String: Any]] ?? [] }
        #expect(events.map { $0["kind"] as? String ?? "?" }
                == ["current", "tss-esp0", "switch", "syscall", "hlt", "irq", "eoi", "switch", "current", "hlt"])
        let current = events[0]
        #expect(current["name"] as? String == "init" && current["pid"] as? Int == 7 && current["state"] as? String == "RUNNING")
        let kstack = try #require((current["kstack"] as? String).flatMap { UInt32($0.dropFirst(2), radix: 16) })
        let esp0 = try #require((events[1]["value"] as? String).flatMap { UInt32($0.dropFirst(2), radix: 16) })
        #expect(esp0 == kstack + 4096)
        #expect(events[2]["prev"] as? String == "scheduler" && events[2]["next"] as? String == "init")
        #expect(events[3]["number"] as? Int == 16 && events[3]["name"] as? String == "write")
        #expect(events[5]["process"] as? String == "init" && events[5]["pid"] as? Int == 7 && events[5]["cpl"] as? Int == 0)
        #expect(events[7]["prev"] as? String == "init" && events[7]["next"] as? String == "scheduler")
        #expect(events[8]["proc"] is NSNull && events[8]["name"] is NSNull)
        // The switch is the record of swtch's stack load.
        let switchRecord = try #require(records.first { ($0["events"] as? [[String: Any]])?.first?["kind"] as? String == "switch" })
        #expect(switchRecord["sym"] as? String == "stack_switch")
        #expect(switchRecord["asm"] as? String == "movl %edx, %esp")
    }
}
