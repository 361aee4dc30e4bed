import PC
import Testing

/// The 8042 and its keyboard through ports 0x60 and 0x64.
@Suite struct KeyboardControllerTests {
    final class Recorder {
        var levels: [Bool] = []
        var resets = 0
    }

    static func controller() -> (KeyboardController, Recorder) {
        let controller = KeyboardController()
        let recorder = Recorder()
        controller.irq1 = { recorder.levels.append($0) }
        controller.resetRequested = { recorder.resets += 1 }
        return (controller, recorder)
    }

    static func drain(_ controller: KeyboardController) -> [UInt8] {
        var bytes: [UInt8] = []
        while controller.inb(0x64) & 0x01 != 0 { bytes.append(controller.inb(0x60)) }
        return bytes
    }

    @Test func keysOnlyWhenGivenWithIRQ1PerByte() {
        let (controller, recorder) = Self.controller()
        #expect(controller.inb(0x64) == 0x14)  // system flag, not inhibited
        controller.press(scancodes: [0x1E, 0x9E])  // 'a' down and up, set 1
        #expect(controller.inb(0x64) & 0x01 == 0x01)
        #expect(recorder.levels == [true])
        #expect(controller.inb(0x60) == 0x1E)
        #expect(recorder.levels == [true, false, true])  // the next byte moved in: a new edge
        #expect(controller.inb(0x60) == 0x9E)
        #expect(recorder.levels == [true, false, true, false])
        #expect(controller.inb(0x64) & 0x01 == 0)
        #expect(controller.inb(0x60) == 0x9E)  // an empty buffer reads its last byte again
    }

    @Test func pulsingTheResetLine() {
        let (controller, recorder) = Self.controller()
        controller.outb(0x64, 0xFE)
        #expect(recorder.resets == 1)
        controller.outb(0x64, 0xFF)  // pulses nothing
        #expect(recorder.resets == 1)
        controller.outb(0x64, 0xF0)  // pulses every line, reset included
        #expect(recorder.resets == 2)
        controller.outb(0x64, 0xD1)
        controller.outb(0x60, 0xDD)  // A20 off, reset line high
        #expect(recorder.resets == 2)
        #expect(!controller.isA20Enabled)
        controller.outb(0x64, 0xD0)
        #expect(Self.drain(controller) == [0xDD])
        controller.outb(0x64, 0xD1)
        controller.outb(0x60, 0xDE)  // bit 0 clear: reset
        #expect(recorder.resets == 3)
        #expect(controller.inb(0x64) & 0x08 == 0)  // the last write was data
    }

    @Test func commandByteSelfTestAndInterfaceTests() {
        let (controller, recorder) = Self.controller()
        controller.outb(0x64, 0x20)
        #expect(controller.inb(0x64) & 0x08 == 0x08)
        #expect(Self.drain(controller) == [0x45])
        controller.outb(0x64, 0xAA)
        controller.outb(0x64, 0xAB)
        #expect(Self.drain(controller) == [0x55, 0x00])
        controller.outb(0x64, 0x60)
        controller.outb(0x60, 0x40)  // interrupts off, system flag off
        #expect(controller.inb(0x64) & 0x04 == 0)
        recorder.levels = []
        controller.press(scancodes: [0x1C])
        #expect(recorder.levels.isEmpty)
        #expect(Self.drain(controller) == [0x1C])
    }

    @Test func disabledKeyboardHoldsKeys() {
        let (controller, _) = Self.controller()
        controller.outb(0x64, 0xAD)
        controller.press(scancodes: [0x10])
        #expect(controller.inb(0x64) & 0x01 == 0)
        controller.outb(0x64, 0x20)
        #expect(Self.drain(controller) == [0x55])  // command byte with bit 4 set
        controller.outb(0x64, 0xAE)
        #expect(Self.drain(controller) == [0x10])
    }

    @Test func keyboardCommands() {
        let (controller, _) = Self.controller()
        controller.outb(0x60, 0xFF)
        #expect(Self.drain(controller) == [0xFA, 0xAA])
        controller.outb(0x60, 0xF2)
        #expect(Self.drain(controller) == [0xFA, 0xAB, 0x41])
        controller.outb(0x60, 0xED)
        controller.outb(0x60, 0x07)
        #expect(Self.drain(controller) == [0xFA, 0xFA])
        controller.outb(0x60, 0xEE)
        controller.outb(0x60, 0x99)
        #expect(Self.drain(controller) == [0xEE, 0xFE])
        controller.outb(0x60, 0xF5)  // scanning off: replies still come, keys wait
        controller.press(scancodes: [0x2C])
        #expect(Self.drain(controller) == [0xFA])
        controller.outb(0x60, 0xF4)
        #expect(Self.drain(controller) == [0xFA, 0x2C])
        controller.outb(0x64, 0xD2)
        controller.outb(0x60, 0x77)
        #expect(Self.drain(controller) == [0x77])
    }

    @Test func nonsenseNeverTraps() {
        let (controller, recorder) = Self.controller()
        for command in UInt8(0)...0xEF { controller.outb(0x64, command) }
        controller.outb(0x60, 0x00)
        _ = Self.drain(controller)
        controller.writePort(0x60, size: 4, value: 0xFFFF_FFFF)  // 0x60 only (a keyboard reset): 0x61–0x63 are not its ports
        #expect(controller.readPort(0x63, size: 2) == 0x15FF)  // 0x63 reads 0xFF; status: OBF, system flag, data last
        #expect(Self.drain(controller) == [0xFA, 0xAA])
        controller.press(scancodes: [])
        #expect(recorder.resets == 0)
    }
}
