/// The registers an embedder, a debugger or a tracer names, in gdb's i386
/// order (the general registers by hardware number, eip, eflags, the segment
/// registers as gdb lists them), then the control and debug registers.
///
/// Read and write them with `machine[.eax]`; names (`"eax"`, `"%cr3"`) are
/// only for the edges: `Register(name:)` and `RegisterName`.
public enum Register: Int, CaseIterable, Sendable {
    case eax, ecx, edx, ebx, esp, ebp, esi, edi
    case eip, eflags
    case cs, ss, ds, es, fs, gs
    case cr0, cr2, cr3, cr4
    case dr0, dr1, dr2, dr3, dr6, dr7

    /// The general register with hardware number `number` (eax = 0 … edi = 7).
    public static func general(_ number: Int) -> Register {
        Register(rawValue: number & 7) ?? .eax
    }

    /// The segment register `name`.
    public init(_ name: SegmentName) {
        switch name {
        case .es: self = .es
        case .cs: self = .cs
        case .ss: self = .ss
        case .ds: self = .ds
        case .fs: self = .fs
        case .gs: self = .gs
        }
    }

    /// The lowercase name, as gdb and the trace formats print it.
    public var name: String { Self.names[rawValue] }

    /// The register called `name` (lowercase, no `%`), if any.
    public init?(name: String) {
        guard let index = Self.names.firstIndex(of: name) else { return nil }
        self.init(rawValue: index)
    }

    private static let names = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
                                "eip", "eflags", "cs", "ss", "ds", "es", "fs", "gs",
                                "cr0", "cr2", "cr3", "cr4", "dr0", "dr1", "dr2", "dr3", "dr6", "dr7"]

    /// The segment register this names, if it is one.
    public var segment: SegmentName? {
        switch self {
        case .es: .es
        case .cs: .cs
        case .ss: .ss
        case .ds: .ds
        case .fs: .fs
        case .gs: .gs
        default: nil
        }
    }

    /// The number of the general register (eax = 0 … edi = 7), if it is one.
    public var generalNumber: Int? { rawValue < 8 ? rawValue : nil }
}

/// A register as a user writes it at the command line: a full register or a
/// part of a general one (`ax`, `al`, `ah`), case-insensitive, `%` allowed.
public struct RegisterName: Sendable, Equatable, CustomStringConvertible {
    /// The register holding the named bits.
    public var register: Register
    /// How many bytes are named (4, 2 or 1).
    public var size: Int
    /// The bit offset of the named part (8 for ah, ch, dh, bh).
    public var shift: Int

    /// Every name `init(_:)` accepts, for messages.
    public static let all: [String] = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
                                       "ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
                                       "al", "cl", "dl", "bl", "ah", "ch", "dh", "bh"]
        + Register.allCases.dropFirst(8).map(\.name)

    /// Parses `text`; nil when it names no register.
    public init?(_ text: String) {
        var key = text.lowercased()
        if key.hasPrefix("%") { key.removeFirst() }
        if let register = Register(name: key) {
            self.init(register: register, size: 4, shift: 0)
            return
        }
        guard let index = Self.all.firstIndex(of: key), index < 24 else { return nil }
        let number = index % 8
        switch index / 8 {
        case 1: self.init(register: .general(number), size: 2, shift: 0)
        default:
            self.init(register: .general(number & 3), size: 1, shift: number < 4 ? 0 : 8)
        }
    }

    /// A full register or a part of one.
    public init(register: Register, size: Int, shift: Int) {
        self.register = register
        self.size = size
        self.shift = shift
    }

    public var description: String {
        guard size != 4, let number = register.generalNumber else { return register.name }
        let index = size == 2 ? 8 + number : 16 + number + (shift == 8 ? 4 : 0)
        return Self.all[index]
    }
}
