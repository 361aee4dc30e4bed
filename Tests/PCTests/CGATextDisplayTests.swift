import PC
import Testing

/// The CRTC registers, the status register's timing and the text renderer.
@Suite struct CGATextDisplayTests {
    static func display() -> (CGATextDisplay, VirtualClock) {
        let clock = VirtualClock()
        return (CGATextDisplay(clock: clock), clock)
    }

    /// xv6's cgaputc reads the cursor this way.
    static func cursor(_ display: CGATextDisplay) -> Int {
        display.outb(0x3D4, 14)
        var position = Int(display.inb(0x3D5)) << 8
        display.outb(0x3D4, 15)
        position |= Int(display.inb(0x3D5))
        return position
    }

    @Test func cursorRegistersReadBackAndStartAtZero() {
        let (display, _) = Self.display()
        #expect(Self.cursor(display) == 0)
        display.outb(0x3D4, 14)
        display.outb(0x3D5, 0x07)
        display.outb(0x3D4, 15)
        display.outb(0x3D5, 0xD0)
        #expect(Self.cursor(display) == 2000)
        #expect(display.cursorLocation == 2000)
        #expect(display.inb(0x3D4) == 15)
    }

    @Test func otherRegistersAreStored() {
        let (display, _) = Self.display()
        display.outb(0x3D4, 12)
        display.outb(0x3D5, 0x01)
        display.outb(0x3D4, 13)
        display.outb(0x3D5, 0x40)
        #expect(display.startAddress == 0x140)
        display.outb(0x3D4, 0x0A)
        display.outb(0x3D5, 0x20)
        #expect(display.inb(0x3D5) == 0x20)
        display.outb(0x3D8, 0x29)
        display.outb(0x3D9, 0x30)
        #expect(display.inb(0x3D8) == 0x29)
        #expect(display.inb(0x3D9) == 0x30)
        display.outb(0x3D4, 0x80)  // no such register
        display.outb(0x3D5, 0x12)
        #expect(display.inb(0x3D5) == 0xFF)
    }

    /// (virtual time, status): line 0 displaying, its blanking, line 200 on blank, lines 224–239 retrace.
    static let statusTimeline: [(UInt64, UInt8)] = [
        (0, 0x00), (50_799, 0x00), (50_800, 0x01), (63_556, 0x00),
        (200 * 63_556, 0x01), (224 * 63_556, 0x09), (240 * 63_556 - 1, 0x09), (240 * 63_556, 0x01),
        (262 * 63_556, 0x00),
    ]

    @Test(arguments: statusTimeline)
    func statusFollowsVirtualTime(time: UInt64, status: UInt8) {
        let (display, clock) = Self.display()
        clock.advance(to: time)
        #expect(display.inb(0x3DA) == status)
    }

    static func memory(_ rows: [Int: String], cells: Int = 2000) -> [UInt8] {
        var memory = [UInt8](repeating: 0, count: cells * 2)
        for (row, text) in rows {
            for (column, byte) in text.utf8.enumerated() {
                memory[2 * (row * 80 + column)] = byte
                memory[2 * (row * 80 + column) + 1] = 0x07
            }
        }
        return memory
    }

    @Test func rendersTwentyFiveLines() {
        var memory = Self.memory([0: "Hello", 1: "  indented  ", 24: "last line"])
        memory[2 * 80 * 2] = 0x01
        memory[2 * (80 * 2 + 1)] = 0xB0
        memory[2 * (80 * 2 + 2)] = 0xE0
        let lines = CGATextDisplay.textLines(of: memory)
        #expect(lines.count == 25)
        #expect(lines[0] == "Hello")
        #expect(lines[1] == "  indented")
        #expect(lines[2] == "☺░α")
        #expect(lines[3] == "")
        #expect(lines[24] == "last line")
        let untrimmed = CGATextDisplay.textLines(of: memory, trimmingTrailingSpaces: false)
        #expect(untrimmed[0].count == 80)
    }

    @Test func everyByteHasAGlyph() {
        var memory = [UInt8](repeating: 0, count: 4000)
        for byte in 0..<256 { memory[2 * byte] = UInt8(byte) }
        let lines = CGATextDisplay.textLines(of: memory, trimmingTrailingSpaces: false)
        let glyphs = Array(lines.joined().prefix(256))
        #expect(glyphs.count == 256)
        #expect(glyphs[0x41] == "A")
        #expect(glyphs[0x7F] == "⌂")
        #expect(glyphs[0xDB] == "█")
        #expect(glyphs[0xFE] == "■")
    }

    @Test func startAddressScrollsAndWraps() {
        let (display, _) = Self.display()
        let memory = Self.memory([0: "first", 1: "second"], cells: 2000)
        display.outb(0x3D4, 13)
        display.outb(0x3D5, 80)  // start at row 1
        let lines = display.textLines(of: memory)
        #expect(lines[0] == "second")
        #expect(lines[24] == "first")  // wrapped around the 2000 cells
    }

    @Test func oddBuffersNeverTrap() {
        #expect(CGATextDisplay.textLines(of: []) == Array(repeating: "", count: 25))
        #expect(CGATextDisplay.textLines(of: [0x41]).allSatisfy { $0.isEmpty })
        #expect(CGATextDisplay.textLines(of: [0x41, 0x07], startAddress: -7)[0] == String(repeating: "A", count: 80))
        #expect(CGATextDisplay.textLines(of: Self.memory([0: "x"]), startAddress: Int.max).count == 25)
    }
}
