import I386

/// The registers of `g`/`G` and `p`/`P`, in the target description's order
/// (`TargetDescription`): the core feature's 32 (eflags and the segment
/// registers 4 bytes each, st0–st7 10 bytes each), then the system feature's.
/// Values are little-endian, as on the target.
public enum RegisterFileLayout {
    /// A register's place in the layout.
    public enum Slot: Equatable, Sendable {
        /// eax … gs, cr0 … cr4: a `Register` of the machine.
        case machine(Register)
        /// ST(i) of the x87 stack.
        case st(Int)
        case fctrl, fstat, ftag, fiseg, fioff, foseg, fooff, fop
        case gdtrBase, gdtrLimit, idtrBase, idtrLimit, tr, ldtr
    }

    /// Every register by its number in `p`/`P`.
    public static let slots: [Slot] = {
        var slots: [Slot] = (0..<16).compactMap { Register(rawValue: $0).map(Slot.machine) }
        slots += (0..<8).map(Slot.st)
        slots += [.fctrl, .fstat, .ftag, .fiseg, .fioff, .foseg, .fooff, .fop]
        slots += [.machine(.cr0), .machine(.cr2), .machine(.cr3), .machine(.cr4)]
        slots += [.gdtrBase, .gdtrLimit, .idtrBase, .idtrLimit, .tr, .ldtr]
        return slots
    }()

    /// The size of a register in bytes.
    public static func size(of slot: Slot) -> Int {
        if case .st = slot { return 10 }
        return 4
    }

    /// Bytes of a `g` reply.
    public static let totalSize = slots.reduce(0) { $0 + size(of: $1) }

    /// The bytes of register `slot`.
    public static func read(_ slot: Slot, from machine: Machine, fpu image: [UInt8]) -> [UInt8] {
        switch slot {
        case .machine(let register): return littleEndian(machine[register])
        case .st(let index): return Array(image[(32 + 16 * index)..<(42 + 16 * index)])
        case .fctrl: return littleEndian(word(image, 0))
        case .fstat: return littleEndian(word(image, 2))
        case .ftag: return littleEndian(UInt32(fullTagWord(image)))
        case .fiseg: return littleEndian(word(image, 12))
        case .fioff: return littleEndian(word(image, 8) | word(image, 10) << 16)
        case .foseg: return littleEndian(word(image, 20))
        case .fooff: return littleEndian(word(image, 16) | word(image, 18) << 16)
        case .fop: return littleEndian(word(image, 6) & 0x7FF)
        case .gdtrBase: return littleEndian(machine.gdtr.base)
        case .gdtrLimit: return littleEndian(UInt32(machine.gdtr.limit))
        case .idtrBase: return littleEndian(machine.idtr.base)
        case .idtrLimit: return littleEndian(UInt32(machine.idtr.limit))
        case .tr: return littleEndian(UInt32(machine.taskRegister.selector))
        case .ldtr: return littleEndian(UInt32(machine.ldtr.selector))
        }
    }

    /// Every register, concatenated (a `g` reply's bytes).
    public static func readAll(from machine: Machine) -> [UInt8] {
        let image = fpuImage(machine)
        return slots.flatMap { read($0, from: machine, fpu: image) }
    }

    /// Why a register write was refused.
    public enum WriteError: Error, Equatable, Sendable {
        /// The value has the wrong size.
        case badSize
        /// A selector whose descriptor cannot be loaded.
        case badSelector
        /// A register that cannot be written (TR, LDTR).
        case readOnly
    }

    /// Writes register `slot` (`bytes` little-endian, of its size). A
    /// segment register written with a new selector loads that descriptor
    /// from the GDT or LDT, as `mov` would; the same selector changes nothing.
    public static func write(_ slot: Slot, _ bytes: [UInt8], to machine: Machine, fpu image: inout [UInt8]) throws(WriteError) {
        guard bytes.count == size(of: slot) else { throw .badSize }
        let value = bytes.count == 4 ? UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24 : 0
        switch slot {
        case .machine(let register):
            if let segment = register.segment {
                let selector = UInt16(truncatingIfNeeded: value)
                guard UInt32(selector) != machine[register] else { return }
                do {
                    try machine.loadSegmentRegister(segment, selector: selector)
                } catch {
                    throw .badSelector
                }
            } else {
                machine[register] = value
            }
        case .st(let index):
            for offset in 0..<10 { image[32 + 16 * index + offset] = bytes[offset] }
        case .fctrl: setWord(&image, 0, value)
        case .fstat: setWord(&image, 2, value)
        case .ftag:
            // The abridged tag: a bit per physical register, set unless it is empty (tag 3).
            var abridged: UInt8 = 0
            for register in 0..<8 where (value >> (2 * UInt32(register))) & 3 != 3 { abridged |= 1 << UInt8(register) }
            image[4] = abridged
        case .fiseg: setWord(&image, 12, value)
        case .fioff:
            setWord(&image, 8, value)
            setWord(&image, 10, value >> 16)
        case .foseg: setWord(&image, 20, value)
        case .fooff:
            setWord(&image, 16, value)
            setWord(&image, 18, value >> 16)
        case .fop: setWord(&image, 6, value & 0x7FF)
        case .gdtrBase: machine.gdtr = TableRegister(base: value, limit: machine.gdtr.limit)
        case .gdtrLimit: machine.gdtr = TableRegister(base: machine.gdtr.base, limit: UInt16(truncatingIfNeeded: value))
        case .idtrBase: machine.idtr = TableRegister(base: value, limit: machine.idtr.limit)
        case .idtrLimit: machine.idtr = TableRegister(base: machine.idtr.base, limit: UInt16(truncatingIfNeeded: value))
        case .tr, .ldtr:
            let current = slot == .tr ? machine.taskRegister.selector : machine.ldtr.selector
            guard UInt16(truncatingIfNeeded: value) == current else { throw .readOnly }
        }
    }

    /// The x87 state in fxsave layout, 512 bytes whatever the machine gives.
    static func fpuImage(_ machine: Machine) -> [UInt8] {
        var image = machine.fxsaveImage
        if image.count < 512 { image += [UInt8](repeating: 0, count: 512 - image.count) }
        return image
    }

    /// The full 16-bit tag word (fnsave's) from fxsave's abridged tag byte:
    /// empty where the abridged bit is clear, else valid, zero or special as
    /// the register's contents say (the same rule gdb's i387 code applies).
    static func fullTagWord(_ image: [UInt8]) -> UInt16 {
        let abridged = image[4]
        let top = Int((word(image, 2) >> 11) & 7)
        var tags: UInt16 = 0
        for physical in 0..<8 {
            var tag: UInt16 = 3
            if abridged & (1 << UInt8(physical)) != 0 {
                let base = 32 + 16 * ((physical - top) & 7)
                let exponent = (UInt16(image[base + 9]) << 8 | UInt16(image[base + 8])) & 0x7FFF
                let significand = (0..<8).reduce(UInt64(0)) { $0 | UInt64(image[base + $1]) << (8 * UInt64($1)) }
                if exponent == 0x7FFF {
                    tag = 2
                } else if exponent == 0 {
                    tag = significand == 0 ? 1 : 2
                } else {
                    tag = significand >> 63 == 1 ? 0 : 2
                }
            }
            tags |= tag << UInt16(2 * physical)
        }
        return tags
    }

    private static func word(_ image: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(image[offset]) | UInt32(image[offset + 1]) << 8
    }

    private static func setWord(_ image: inout [UInt8], _ offset: Int, _ value: UInt32) {
        image[offset] = UInt8(truncatingIfNeeded: value)
        image[offset + 1] = UInt8(truncatingIfNeeded: value >> 8)
    }

    static func littleEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8),
         UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 24)]
    }
}
