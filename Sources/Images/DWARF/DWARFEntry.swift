/// An attribute's value as read from `.debug_info`, before interpretation.
enum DWARFValue: Sendable, Equatable {
    /// An address, a constant of unknown signedness (`DW_FORM_dataN`, `udata`), a flag, an offset.
    case unsigned(UInt64)
    /// `DW_FORM_sdata`, `implicit_const`.
    case signed(Int64)
    /// An inline or `.debug_str`/`.debug_line_str` string.
    case string(String)
    /// `DW_FORM_strx*`: an index into the unit's `.debug_str_offsets` contribution.
    case stringIndex(UInt64)
    /// `DW_FORM_addrx*`: an index into the unit's `.debug_addr` contribution.
    case addressIndex(UInt64)
    /// Another entry, by its offset in `.debug_info`.
    case reference(Int)
    /// A block or an expression (`DW_FORM_exprloc`).
    case block([UInt8])
    /// Something this reader does not follow (type signatures, supplementary files, 16-byte data).
    case opaque

    /// The value as an unsigned constant, if it is one.
    var unsignedValue: UInt64? {
        switch self {
        case .unsigned(let value): value
        case .signed(let value): value >= 0 ? UInt64(value) : nil
        default: nil
        }
    }
}

/// One debugging information entry: its tag, attributes, and place in the tree.
struct DWARFEntry: Sendable {
    struct Attribute: Sendable {
        var name: UInt64
        var value: DWARFValue
    }

    /// The entry's offset in `.debug_info` (references name entries by it).
    var offset: Int
    var tag: UInt64
    /// The index of its unit in `DWARFInfo.units`.
    var unit: Int
    var attributes: [Attribute]
    /// Indexes of its children in `DWARFInfo.entries`, in order.
    var children: [Int] = []

    func value(_ attribute: UInt64) -> DWARFValue? {
        for candidate in attributes where candidate.name == attribute { return candidate.value }
        return nil
    }

    func has(_ attribute: UInt64) -> Bool { value(attribute) != nil }
}

/// A unit's header and the values its entries' indexed forms need.
public struct DWARFUnit: Sendable {
    /// The unit's offset in `.debug_info`.
    public var offset: Int
    /// 2, 3, 4 or 5.
    public var version: Int
    /// Bytes in an address (4 for i386).
    public var addressSize: Int
    /// 4 for 32-bit DWARF, 8 for 64-bit DWARF.
    var offsetSize: Int
    /// `DW_AT_str_offsets_base` of the unit's root entry.
    var stringOffsetsBase: Int?
    /// `DW_AT_addr_base` of the unit's root entry.
    var addressBase: Int?
}
