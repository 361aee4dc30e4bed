/// Registers by name, for embedders and the command line.
extension Machine {
    /// Why a register name was not accepted.
    public struct UnknownRegister: Error, Sendable, CustomStringConvertible {
        public var name: String
        public var description: String { "unknown register '\(name)'" }
    }

    /// Every name `register(named:)` accepts.
    public static let registerNames: [String] =
        ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
         "ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
         "al", "cl", "dl", "bl", "ah", "ch", "dh", "bh",
         "eip", "eflags", "es", "cs", "ss", "ds", "fs", "gs",
         "cr0", "cr2", "cr3", "cr4", "dr0", "dr1", "dr2", "dr3", "dr6", "dr7"]

    /// A general register by number (eax = 0 … edi = 7).
    public func gpr(_ number: Int) -> UInt32 { registers[number & 7] }

    /// Sets a general register by number.
    public func setGPR(_ number: Int, _ value: UInt32) { registers[number & 7] = value }

    /// The value of a register named as in `registerNames` (case-insensitive, `%` allowed).
    public func register(named name: String) throws(UnknownRegister) -> UInt32 {
        let key = Self.normalized(name)
        if let index = Self.registerNames.firstIndex(of: key), index < 24 {
            return register(UInt8(index % 8), size: index < 8 ? 4 : (index < 16 ? 2 : 1))
        }
        switch key {
        case "eip": return eip
        case "eflags": return eflags
        case "cr0": return cr0
        case "cr2": return cr2
        case "cr3": return cr3
        case "cr4": return cr4
        default:
            if let segment = SegmentName.allCases.first(where: { "\($0)" == key }) {
                return UInt32(segments[segment.rawValue].selector)
            }
            if key.hasPrefix("dr"), let number = Int(key.dropFirst(2)), (0...7).contains(number) {
                return debugRegisters[number]
            }
            throw UnknownRegister(name: name)
        }
    }

    /// Sets a register named as in `registerNames`. Setting a segment register
    /// loads a flat descriptor for it (no GDT lookup).
    public func setRegister(named name: String, _ value: UInt32) throws(UnknownRegister) {
        let key = Self.normalized(name)
        if let index = Self.registerNames.firstIndex(of: key), index < 24 {
            setRegister(UInt8(index % 8), size: index < 8 ? 4 : (index < 16 ? 2 : 1), value)
            return
        }
        switch key {
        case "eip": eip = value
        case "eflags": eflags = value
        case "cr0": cr0 = value | 0x10
        case "cr2": cr2 = value
        case "cr3": cr3 = value
        case "cr4": cr4 = value
        default:
            if let segment = SegmentName.allCases.first(where: { "\($0)" == key }) {
                var register = SegmentRegister.flat(selector: UInt16(truncatingIfNeeded: value), isCode: segment == .cs)
                register.selector = UInt16(truncatingIfNeeded: value)
                setSegment(segment, register)
                return
            }
            if key.hasPrefix("dr"), let number = Int(key.dropFirst(2)), (0...7).contains(number) {
                debugRegisters[number] = value
                return
            }
            throw UnknownRegister(name: name)
        }
    }

    private static func normalized(_ name: String) -> String {
        var key = name.lowercased()
        if key.hasPrefix("%") { key.removeFirst() }
        return key
    }
}
