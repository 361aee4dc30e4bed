/// One `.debug_abbrev` table: for each abbreviation code, the tag of the
/// entries that use it, whether they have children, and their attributes' forms.
struct DWARFAbbreviations: Sendable {
    struct Specification: Sendable {
        var attribute: UInt64
        var form: UInt64
        /// The value of a `DW_FORM_implicit_const` attribute (kept in the table, not the entry).
        var implicitConstant: Int64
    }

    struct Declaration: Sendable {
        var tag: UInt64
        var hasChildren: Bool
        var attributes: [Specification]
    }

    private(set) var declarations: [UInt64: Declaration] = [:]

    /// Reads the table at `offset` of `.debug_abbrev`, up to its terminating code 0.
    init(section: ArraySlice<UInt8>, offset: Int) throws(DWARFError) {
        var cursor = DWARFCursor(section, section: ".debug_abbrev", offset: offset)
        while true {
            let code = try cursor.uleb()
            if code == 0 { return }
            let tag = try cursor.uleb()
            let children = try cursor.u8()
            guard children <= 1 else { throw .malformed("abbreviation \(code) has children flag \(children)") }
            var attributes: [Specification] = []
            while true {
                let attribute = try cursor.uleb()
                let form = try cursor.uleb()
                if attribute == 0 && form == 0 { break }
                let constant = form == DWARFForm.implicitConst ? try cursor.sleb() : 0
                attributes.append(Specification(attribute: attribute, form: form, implicitConstant: constant))
            }
            guard declarations[code] == nil else { throw .malformed("abbreviation code \(code) defined twice at .debug_abbrev offset \(offset)") }
            declarations[code] = Declaration(tag: tag, hasChildren: children == 1, attributes: attributes)
        }
    }

    subscript(code: UInt64) -> Declaration? { declarations[code] }
}
