/// An i386 register named by a decoded operand.
///
/// General-purpose registers keep the hardware encoding order within each width
/// (`eax, ecx, edx, ebx, esp, ebp, esi, edi`; the 8-bit set is
/// `al, cl, dl, bl, ah, ch, dh, bh`), so `gprNumber` is the ModRM register field.
public enum X86Register: UInt8, Sendable, CaseIterable {
    case eax, ecx, edx, ebx, esp, ebp, esi, edi
    case ax, cx, dx, bx, sp, bp, si, di
    case al, cl, dl, bl, ah, ch, dh, bh
    case es, cs, ss, ds, fs, gs
    case cr0, cr1, cr2, cr3, cr4, cr5, cr6, cr7
    case dr0, dr1, dr2, dr3, dr4, dr5, dr6, dr7
    case eip, eflags
    /// A register kstep does not model (x87, MMX, SSE, …).
    case other

    /// Bytes the register holds (0 for `other`).
    public var size: Int {
        switch self {
        case .eax, .ecx, .edx, .ebx, .esp, .ebp, .esi, .edi, .eip, .eflags: 4
        case .ax, .cx, .dx, .bx, .sp, .bp, .si, .di: 2
        case .es, .cs, .ss, .ds, .fs, .gs: 2
        case .al, .cl, .dl, .bl, .ah, .ch, .dh, .bh: 1
        case .cr0, .cr1, .cr2, .cr3, .cr4, .cr5, .cr6, .cr7: 4
        case .dr0, .dr1, .dr2, .dr3, .dr4, .dr5, .dr6, .dr7: 4
        case .other: 0
        }
    }

    /// The 3-bit hardware number of a general-purpose, segment, control or
    /// debug register; nil for the others.
    public var number: Int? {
        let raw = Int(rawValue)
        switch self {
        case .eax ... .edi: return raw
        case .ax ... .di: return raw - Int(X86Register.ax.rawValue)
        case .al ... .bh: return raw - Int(X86Register.al.rawValue)
        case .es ... .gs: return raw - Int(X86Register.es.rawValue)
        case .cr0 ... .cr7: return raw - Int(X86Register.cr0.rawValue)
        case .dr0 ... .dr7: return raw - Int(X86Register.dr0.rawValue)
        default: return nil
        }
    }

    /// True for the 8-, 16- and 32-bit general-purpose registers.
    public var isGeneralPurpose: Bool { self <= .bh }

    /// True for es, cs, ss, ds, fs and gs.
    public var isSegment: Bool { self >= .es && self <= .gs }

    /// The register's name as AT&T and Intel syntax print it (without `%`).
    public var name: String { Self.names[Int(rawValue)] }

    /// The register with this name (case-insensitive, an optional `%` allowed).
    public init?(name: String) {
        var text = name.lowercased()
        if text.hasPrefix("%") { text.removeFirst() }
        guard let match = Self.byName[text] else { return nil }
        self = match
    }

    // Built once: reflecting a case name (String(describing:)) is slow, and decoder setup looks up every Capstone register.
    private static let names: [String] = allCases.map { $0 == .other ? "?" : String(describing: $0) }
    private static let byName: [String: X86Register] = Dictionary(
        uniqueKeysWithValues: allCases.filter { $0 != .other }.map { (names[Int($0.rawValue)], $0) })
}

extension X86Register: Comparable {
    public static func < (lhs: X86Register, rhs: X86Register) -> Bool { lhs.rawValue < rhs.rawValue }
}
