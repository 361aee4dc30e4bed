/// Why debug information could not be read. A truncated or hostile
/// `.debug_*` section is one of these, never a crash.
public enum DWARFError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file has no section the request needs (`.debug_info`, `.debug_abbrev`, …).
    case missingSection(String)
    /// A read at `offset` of `section` would run past its end.
    case truncated(section: String, offset: Int)
    /// Well-formed DWARF that this reader does not handle (a version, a form).
    case unsupported(String)
    /// Bytes that do not follow the DWARF format.
    case malformed(String)

    /// One line naming the section, offset or form.
    public var description: String {
        switch self {
        case .missingSection(let name): "no \(name) section"
        case .truncated(let section, let offset): "\(section) ends before offset \(offset)"
        case .unsupported(let what): "unsupported DWARF: \(what)"
        case .malformed(let what): "malformed DWARF: \(what)"
        }
    }
}
