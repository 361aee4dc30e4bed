import Foundation
import I386
import Images
import Testing
import Tracing

/// A trace of code that rewrites itself shows what actually ran at each step.
struct SelfModifyingCodeTraceTests {
    @Test func aRewrittenInstructionIsDisassembledAfresh() throws {
        // 0x1000: movl $2,%ecx; 0x1005: nop; movb $0x40,0x1005 (→ incl %eax); loop 0x1005; hlt
        let code: [UInt8] = [0xB9, 0x02, 0x00, 0x00, 0x00, 0x90, 0xC6, 0x05, 0x05, 0x10, 0x00, 0x00, 0x40,
                             0xE2, 0xF6, 0xF4]
        let machine = try Machine()
        machine.map(0x1000, size: 0x1000)  // writable code
        try machine.write(code, at: 0x1000)
        machine.eip = 0x1000
        var configuration = TraceConfiguration()
        configuration.format = .jsonl
        let sink = ByteSink(handle: nil)
        var tracer = try Tracer(configuration: configuration, symbols: SymbolTable([]), sink: sink)
        #expect(machine.run(maxSteps: 100, until: nil, observer: &tracer) == .halted)
        tracer.finish()
        let records = try String(decoding: sink.contents, as: UTF8.self).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let atTarget = records.filter { $0["eip"] as? String == "0x00001005" }
        #expect(atTarget.map { $0["bytes"] as? String } == ["90", "40"])
        #expect(atTarget.map { $0["asm"] as? String } == ["nop", "incl %eax"])
        #expect((atTarget.last?["regs"] as? [String: String])?["eax"] == "0x00000001")
        #expect(machine[.eax] == 1)
    }
}
