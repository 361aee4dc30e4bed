import Foundation
import I386
import Images
import Testing
@testable import Tracing

/// JSONL lines are formatted on a second thread from records the run loop
/// queues: the result must be the same bytes as formatting them in line, and
/// show every register change, write, exception and step number.
struct ConcurrentFormattingTests {
    /// Segment, control and debug register writes, a `rep stosl` of 3,000
    /// writes (one record larger than a pipe block), 8,000 calls (records
    /// enough to wrap the ring twice), then a fault with no IDT to deliver it.
    static let program = """
        .text
        .globl _start
        _start:
            movl $0x7b, %eax
            movl %eax, %fs
            movl %cr0, %eax
            orl $8, %eax
            movl %eax, %cr0
            clts
            movl $0xc0000000, %eax
            movl %eax, %cr3
            movl $0x12345678, %eax
            movl %eax, %db2
            leal buffer, %edi
            movl $3000, %ecx
            movl $0xabcdef01, %eax
            cld
            rep stosl
            movl $8000, %ecx
        again:
            call work
            loop again
            movl $0x1234, %eax
            movl %eax, %ds
            hlt
        .globl work
        .type work, @function
        work:
            addl $3, %ebx
            xorl %ebx, %edx
            pushl %edx
            popl %edx
            ret
        .size work, . - work
        .data
        buffer: .space 12000
        """

    private func trace(_ format: TraceFormat = .jsonl, concurrently: Bool = true, onlyWork: Bool = false) throws -> String {
        let image = try ImageLoader.load(try GNUToolchain.assemble(text: Self.program))
        var configuration = TraceConfiguration()
        configuration.format = format
        configuration.formatsConcurrently = concurrently
        if onlyWork, let work = image.symbols.symbol(named: "work") {
            configuration.only = work.value..<(work.value + work.size)
        }
        let sink = ByteSink(handle: nil)
        var tracer = try Tracer(configuration: configuration, symbols: image.symbols, sink: sink)
        _ = image.machine.run(maxSteps: 1_000_000, until: nil, observer: &tracer)
        tracer.finish()
        return String(decoding: sink.contents, as: UTF8.self)
    }

    private func records(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    @Test func theFormatterThreadWritesTheSameBytesAsFormattingInLine() throws {
        let concurrent = try trace(concurrently: true)
        let inline = try trace(concurrently: false)
        #expect(concurrent.utf8.count > 4_000_000)
        #expect(concurrent == inline)
    }

    @Test func recordsShowSystemRegistersWritesAndTheFault() throws {
        let all = try records(try trace())
        func regs(_ record: [String: Any]) -> [String: String] { record["regs"] as? [String: String] ?? [:] }
        #expect(all.contains { regs($0)["fs"] == "0x0000007b" })
        #expect(all.contains { regs($0)["cr0"].map { UInt32($0.dropFirst(2), radix: 16).map { $0 & 8 != 0 } } == true })
        #expect(all.contains { regs($0)["cr3"] == "0xc0000000" })
        #expect(all.contains { regs($0)["dr2"] == "0x12345678" })
        let stos = try #require(all.first { $0["asm"] as? String == "rep stosl %eax, %es:(%edi)" })
        let writes = try #require(stos["mem"] as? [[String: Any]])
        #expect(writes.count == 3000)
        #expect(writes.last?["new"] as? String == "0xabcdef01")
        let last = try #require(all.last)
        let exception = try #require(last["exception"] as? [String: Any])
        #expect(exception["name"] as? String == "#GP")
        #expect(last["step"] as? Int == all.count)  // the faulting instruction's number: one past the last completed
        // Every completed instruction has the next step number.
        let steps = all.compactMap { $0["step"] as? Int }
        #expect(steps == Array(1...all.count))
    }

    @Test func stepNumbersSkipWithAFilterAsInTheTextTrace() throws {
        let jsonSteps = try records(try trace(onlyWork: true)).compactMap { $0["step"] as? Int }
        let textSteps = try trace(.text, onlyWork: true).split(separator: "\n")
            .compactMap { line in line.split(separator: " ").first.flatMap { Int($0) } }
        #expect(jsonSteps.count == 8_000 * 5)
        #expect(jsonSteps == textSteps)
        #expect(jsonSteps.first ?? 0 > 10)  // records begin at the first call, not step 1
        #expect(Set(zip(jsonSteps, jsonSteps.dropFirst()).map { $1 - $0 }) == [1, 3])  // ret → loop → call → work
    }
}
