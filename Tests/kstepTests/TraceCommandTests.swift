import Foundation
import Testing

/// `kstep trace`, run as a subprocess.
@Suite struct TraceCommandTests {
    @Test func textTraceShowsChangesWritesAndCurrent() throws {
        let output = try KstepProcess.run(["trace", "--asm", "movl $0xffffe000,%ecx; andl %esp,%ecx; movl (%ecx),%eax; pushl %eax",
                                           "--set", "esp=0x015fa878"])
        #expect(output.status == 0)
        let lines = output.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines[0].contains("-- current: swapper (pid 0), task 00011000 <init_task>, thread_info 015fa000"))
        #expect(lines[1].contains("00100000 <_start>") && lines[1].contains("movl $0xffffe000, %ecx") && lines[1].hasSuffix("ecx=ffffe000"))
        #expect(lines[2].contains("andl %esp, %ecx") && lines[2].contains("ecx=015fa000 eflags=00000006[PF]"))
        #expect(lines[4].contains("pushl %eax") && lines[4].hasSuffix("esp=015fa874 [015fa874]4=00100100"))
        #expect(output.standardOutput.contains("stopped: end"))
    }

    @Test func switchToImageTraceNamesTheTasksAndTheSwitch() throws {
        let image = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Images/switch_to/switch_to.elf").path
        let output = try KstepProcess.run(["trace", image])
        #expect(output.status == 0)
        let text = output.standardOutput
        #expect(text.contains("jmp 0xc0100260 <__switch_to>"))
        #expect(text.contains("-- current: B (pid 2), task c0101460 <b_task>, thread_info 015fc000"))
        #expect(text.contains("-- current: C (pid 3), task c0101020 <c_task>, thread_info 015fe000"))
        #expect(text.contains("-- ring 3: esp"))
        #expect(text.contains("-- #GP error code 0x1234 at c01003a2 <__switch_to+0x142>, delivered: cs:eip 00000060:c0100071 <general_protection>"))
        #expect(text.contains("stopped: hlt"))
    }

    @Test func badOptionsAreOneLine() throws {
        let output = try KstepProcess.run(["trace", "--asm", "nop", "--thread-size", "1000"])
        #expect(output.status != 0)
        #expect(output.standardError.contains("--thread-size must be 8192 or 4096"))
    }
}
