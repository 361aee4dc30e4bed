import Foundation
import I386
import Images
import KernelModel
import PC
import Testing
@testable import Tracing

/// The `irq`, `eoi` and `syscall` events on a small Multiboot kernel: it
/// starts the local APIC timer (vector 32, periodic), waits in `hlt`, and its
/// handler counts ticks and sends the EOI; after two ticks it sends the 8259
/// master an EOI with nothing in service, makes a system call and halts.
@Suite struct InterruptEventTests {
    static let kernel = """
        .text
        .globl _start
        _start:
            jmp start
        .align 4
        multiboot: .long 0x1BADB002, 0, -0x1BADB002
        .macro GATE vector, handler
            movl $\\handler, %eax
            movw %ax, idt+\\vector*8
            movw $0x08, idt+\\vector*8+2
            movw $0xEE00, idt+\\vector*8+4
            shrl $16, %eax
            movw %ax, idt+\\vector*8+6
        .endm
        start:
            movl $stack_top, %esp
            GATE 32, timer_handler
            GATE 0x40, xv6_call
            GATE 0x80, linux_call
            lidt idt_descriptor
            movl $0x13F, 0xFEE000F0
            movl $0xB, 0xFEE003E0
            movl $0x20020, 0xFEE00320
            movl $1000, 0xFEE00380
            sti
        wait:
            hlt
            cmpl $2, ticks
            jb wait
            cli
            movb $0x20, %al
            outb %al, $0x20
            movl $4, %eax
            int $0x80
            movl $16, %eax
            int $0x40
            hlt
        .type timer_handler, @function
        timer_handler:
            incl ticks
            movl $0, 0xFEE000B0
            iret
        .size timer_handler, . - timer_handler
        linux_call:
        xv6_call:
            iret
        .data
        .align 8
        idt: .space 256*8
        idt_descriptor: .word 256*8-1
            .long idt
        ticks: .long 0
        .bss
        .space 4096
        stack_top:
        """

    /// The trace of the kernel in `format` with the Linux 2.6 profile (its thread_info reads give no task).
    static func trace(_ format: TraceFormat, includeMemory: Bool = true) throws -> String {
        let elf = try GNUToolchain.assemble(text: kernel)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kstep-irq-\(UUID().uuidString).elf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(elf.bytes).write(to: URL(fileURLWithPath: path))
        let image = try MultibootLoader.load(path, memorySize: 4 << 20)
        var configuration = TraceConfiguration()
        configuration.format = format
        configuration.includeMemory = includeMemory
        let sink = ByteSink(handle: nil)
        var tracer = try Tracer(configuration: configuration, symbols: image.symbols, sink: sink)
        tracer.observe(try #require(image.platform))
        let reason = image.machine.run(maxSteps: 100_000, until: nil, observer: &tracer)
        tracer.finish()
        #expect(reason == .halted)
        return String(decoding: sink.contents, as: UTF8.self)
    }

    @Test func textShowsTheInterruptTheEOIsAndTheSystemCall() throws {
        let text = try Self.trace(.text)
        let lines = text.split(separator: "\n").map(String.init)
        let irqs = lines.filter { $0.contains("-- irq:") }
        #expect(irqs.count >= 2)
        let irq = try #require(irqs.first)
        #expect(irq.hasPrefix("        -- irq: vector 32 (local APIC timer), interrupted "))
        #expect(irq.contains(" in ring 0, no process, delivered to 0008:"))
        #expect(irq.contains(" <wait+0x"))
        #expect(irq.contains(" <timer_handler>, frame ["))
        #expect(lines.filter { $0 == "        -- eoi: local APIC, vector 32" }.count == irqs.count)
        // The EOI is an event of the instruction that wrote the register.
        let eoi = try #require(lines.firstIndex(of: "        -- eoi: local APIC, vector 32"))
        #expect(lines[eoi - 1].contains("<timer_handler+0x6>") && lines[eoi - 1].contains("movl $0, 0xfee000b0"))
        #expect(lines.contains("        -- eoi: 8259 master, nothing in service"))
        #expect(lines.contains("        -- syscall 4 (write)"))
        // int $0x40 is not Linux's system call.
        #expect(!text.contains("syscall 16"))
    }

    @Test func jsonlHasAnInterruptRecordAndTheEvents() throws {
        let records = try Self.trace(.jsonl).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        func events(_ record: [String: Any]) -> [[String: Any]] { record["events"] as? [[String: Any]] ?? [] }
        let interrupts = records.filter { events($0).contains { $0["kind"] as? String == "irq" } }
        #expect(interrupts.count >= 2)
        let first = try #require(interrupts.first)
        #expect(first["asm"] == nil && first["bytes"] == nil)
        let irq = try #require(events(first).first)
        #expect(irq["vector"] as? Int == 32)
        #expect(irq["source"] as? String == "lapic-timer")
        #expect(irq["line"] is NSNull)
        #expect(irq["cpl"] as? Int == 0)
        #expect(irq["process"] is NSNull && irq["pid"] is NSNull)
        #expect(irq["interrupted"] as? String == first["eip"] as? String)
        // The registers delivery changed: eip is the handler's, esp holds the 3-word frame.
        let regs = try #require(first["regs"] as? [String: String])
        #expect(regs["eip"] != nil && regs["esp"] != nil)
        #expect((first["mem"] as? [Any])?.count == 3)
        // The record after it is the handler's first instruction, one step on.
        let index = try #require(records.firstIndex { ($0["events"] as? [[String: Any]])?.first?["kind"] as? String == "irq" })
        #expect(records[index + 1]["sym"] as? String == "timer_handler")
        #expect(records[index + 1]["step"] as? Int == (first["step"] as? Int).map { $0 + 1 })
        #expect(records[index - 1]["step"] as? Int == first["step"] as? Int)

        // kstep diff names the record by its interrupt.
        let diffRecords = try TraceDiff.records(try Self.trace(.jsonl), name: "irq")
        #expect(diffRecords[index].assembly == "(interrupt)")
        #expect(TraceDiff.firstDivergence(diffRecords, diffRecords) == nil)

        let allEvents = records.flatMap(events)
        let eois = allEvents.filter { $0["kind"] as? String == "eoi" }
        #expect(eois.count == interrupts.count + 1)
        #expect(eois.first?["controller"] as? String == "lapic" && eois.first?["vector"] as? Int == 32)
        #expect(eois.last?["controller"] as? String == "pic-master" && eois.last?["vector"] is NSNull)
        let call = try #require(allEvents.first { $0["kind"] as? String == "syscall" })
        #expect(call["number"] as? Int == 4 && call["name"] as? String == "write")
        #expect(allEvents.filter { $0["kind"] as? String == "syscall" }.count == 1)
    }

    @Test func theXV6VocabularyNamesItsCalls() {
        let vocabulary = EventVocabulary(.xv6(XV6Profile(
            process: .init(size: 124, kernelStack: 8, state: 12, pid: 16, name: 108, nameLength: 16),
            cpu: .init(size: 176, scheduler: 4, taskState: 8, taskStateESP0: 12, process: 172),
            processStates: ["UNUSED", "EMBRYO", "SLEEPING", "RUNNABLE", "RUNNING", "ZOMBIE"],
            cpus: 0x8018_E740, stackSwitch: 0x8010_4619)))
        #expect(TraceEvent.systemCall(number: 7).text(vocabulary) == "syscall 7 (exec)")
        #expect(TraceEvent.systemCall(number: 99).text(vocabulary) == "syscall 99 (unknown)")
        let current = TraceEvent.currentProcess(proc: 0x8018_ECF4, name: TaskName("sh"), pid: 2, state: 4,
                                                kernelStack: 0x8DFF_E000)
        #expect(current.text(vocabulary) == "current: sh (pid 2), proc 8018ecf4, kstack 8dffe000, RUNNING")
        let sink = ByteSink(handle: nil)
        sink.appendJSONEvents([current, .systemCall(number: 99)], vocabulary)
        #expect(String(decoding: sink.contents, as: UTF8.self)
                == #"{"kind":"current","proc":"0x8018ecf4","name":"sh","pid":2,"state":"RUNNING","kstack":"0x8dffe000"},"#
                + #"{"kind":"syscall","number":99,"name":null}"#)
        #expect(MemoryLayout<TraceEvent>.stride <= 40)  // records hold events inline: keep them small
    }
}
