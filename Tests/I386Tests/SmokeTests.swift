import I386
import Testing

@Suite struct SmokeTests {
    @Test func currentMacroMasksTheStackPointer() throws {
        let snippet = try Snippet("movl $0xffffe000,%ecx; andl %esp,%ecx")
        snippet.machine.setGPR(4, 0x015F_A878)
        #expect(snippet.run() == .endOfCode)
        #expect(snippet.machine.gpr(1) == 0x015F_A000)
        #expect(snippet.machine.instructionCount == 2)
    }
}
