import PC
import Testing

/// Port 0xE9.
@Suite struct DebugConsoleTests {
    @Test func bytesAreAppendedAndReadsReturnE9() {
        let console = DebugConsole()
        for byte in Array("hi\n".utf8) { console.outb(0xE9, byte) }
        #expect(console.text == Array("hi\n".utf8))
        #expect(console.inb(0xE9) == 0xE9)
    }

    @Test func wideAccessesReachOnlyPortE9() {
        let console = DebugConsole()
        console.writePort(0xE9, size: 4, value: 0x4443_4241)
        #expect(console.text == [0x41])
        #expect(console.readPort(0xE9, size: 2) == 0xFFE9)
        console.writePort(0xE8, size: 2, value: 0x4241)
        #expect(console.text == [0x41, 0x42])
    }
}
