import I386

/// The CGA text display's registers: the 6845 CRTC at 0x3D4 (index) / 0x3D5 (data),
/// the mode control (0x3D8) and color select (0x3D9) registers, and the status
/// register at 0x3DA.
///
/// Text memory at 0xB8000 is plain RAM that the CPU's platform owns; this device
/// only renders it (`textLines(of:)`). CRTC registers 0–31 are stored and read
/// back as written (all start at 0, so the cursor is at cell 0); registers 14/15
/// are the cursor location and 12/13 the start address. An index of 32 or more
/// selects nothing: its data reads 0xFF and writes are ignored.
///
/// Status (0x3DA) follows virtual time with CGA-like timing: 262 lines of 63,556 ns
/// per frame; bit 0 (display inactive) is set outside the first 50,800 ns of each of
/// the 200 visible lines, and bit 3 (vertical retrace) during lines 224–239.
public final class CGATextDisplay: ByteWidePortDevice {
    /// Ports 0x3D4–0x3D5 (CRTC) and 0x3D8–0x3DA (mode, color, status).
    public let ports: [ClosedRange<UInt16>] = [0x3D4...0x3D5, 0x3D8...0x3DA]

    /// Where the text memory is in the physical address space.
    public static let textMemoryAddress: UInt32 = 0xB8000
    /// Columns of the 80×25 text mode.
    public static let columns = 80
    /// Rows of the 80×25 text mode.
    public static let rows = 25

    static let lineDuration: UInt64 = 63_556
    static let linesPerFrame: UInt64 = 262
    static let visibleLines: UInt64 = 200
    static let visiblePartOfLine: UInt64 = 50_800
    static let verticalRetraceLines: Range<UInt64> = 224..<240

    private let clock: VirtualClock
    private var index: UInt8 = 0
    private var registers = [UInt8](repeating: 0, count: 32)
    private var modeControl: UInt8 = 0
    private var colorSelect: UInt8 = 0

    /// Creates the display's registers; the status register follows `clock`.
    public init(clock: VirtualClock) {
        self.clock = clock
    }

    /// The cell the cursor is on (CRTC registers 14 and 15), 0-based.
    public var cursorLocation: Int { Int(registers[14]) << 8 | Int(registers[15]) }

    /// The cell shown at the top left (CRTC registers 12 and 13).
    public var startAddress: Int { Int(registers[12]) << 8 | Int(registers[13]) }

    /// Reads the index, the selected CRTC register, mode, color select or status.
    public func readByte(at port: UInt16) -> UInt8 {
        switch port {
        case 0x3D4: return index
        case 0x3D5: return index < registers.count ? registers[Int(index)] : 0xFF
        case 0x3D8: return modeControl
        case 0x3D9: return colorSelect
        default: return status
        }
    }

    /// Writes the index, the selected CRTC register, mode or color select (status is read-only).
    public func writeByte(_ value: UInt8, at port: UInt16) {
        switch port {
        case 0x3D4: index = value
        case 0x3D5: if index < registers.count { registers[Int(index)] = value }
        case 0x3D8: modeControl = value
        case 0x3D9: colorSelect = value
        default: break
        }
    }

    private var status: UInt8 {
        let timeInFrame = clock.now % (Self.lineDuration * Self.linesPerFrame)
        let line = timeInFrame / Self.lineDuration
        let isDisplaying = line < Self.visibleLines && timeInFrame % Self.lineDuration < Self.visiblePartOfLine
        return (isDisplaying ? 0 : 0x01) | (Self.verticalRetraceLines.contains(line) ? 0x08 : 0)
    }

    /// The screen as 25 lines of text, from text memory starting at `startAddress`.
    public func textLines(of textMemory: [UInt8]) -> [String] {
        Self.textLines(of: textMemory, startAddress: startAddress)
    }

    /// Renders 80×25 cells of `textMemory` (character byte, attribute byte per cell)
    /// as lines of text in code page 437, from cell `startAddress` on.
    ///
    /// Cells wrap around the end of `textMemory`; with no complete cell every line is
    /// empty. Trailing spaces are dropped when `trimmingTrailingSpaces` is true.
    public static func textLines(of textMemory: [UInt8], startAddress: Int = 0, trimmingTrailingSpaces: Bool = true) -> [String] {
        let cellCount = textMemory.count / 2
        let firstCell = cellCount > 0 ? (startAddress % cellCount + cellCount) % cellCount : 0
        return (0..<rows).map { row in
            guard cellCount > 0 else { return trimmingTrailingSpaces ? "" : String(repeating: " ", count: columns) }
            var line = String((0..<columns).map { column in
                let cell = (firstCell + row * columns + column) % cellCount
                return CodePage437.characters[Int(textMemory[2 * cell])]
            })
            if trimmingTrailingSpaces {
                while line.last == " " { line.removeLast() }
            }
            return line
        }
    }
}

// MARK: - Snapshots

extension CGATextDisplay: Snapshotting {
    /// Every register and pending event of the device, as a value (see `Snapshotting`).
    public struct Snapshot {
        fileprivate let index: UInt8
        fileprivate let registers: [UInt8]
        fileprivate let modeControl: UInt8
        fileprivate let colorSelect: UInt8
    }

    public func snapshot() -> Snapshot {
        Snapshot(index: index, registers: registers, modeControl: modeControl, colorSelect: colorSelect)
    }

    public func restore(_ snapshot: Snapshot) {
        index = snapshot.index
        registers = snapshot.registers
        modeControl = snapshot.modeControl
        colorSelect = snapshot.colorSelect
    }
}
