/// A structure (or union) type's layout, from its `DW_TAG_structure_type` entry.
public struct DWARFStructure: Sendable, Equatable {
    /// The tag name (`proc` for `struct proc`); nil for an anonymous structure.
    public var name: String?
    /// `DW_AT_byte_size`.
    public var size: Int
    /// The members in declaration order.
    public var members: [DWARFMember]
    /// The entry's offset in `.debug_info`.
    public var entryOffset: Int

    /// The member called `name`.
    public func member(named name: String) -> DWARFMember? { members.first { $0.name == name } }
}

/// A structure member: where it is and how big.
public struct DWARFMember: Sendable, Equatable {
    /// Nil for an anonymous structure or union member.
    public var name: String?
    /// Bytes from the start of the enclosing structure (of a bit field: of its first byte).
    public var offset: Int
    /// Bytes it occupies (nil when its type has no size: a flexible array).
    public var size: Int?
    /// The entry of its type in `.debug_info`.
    public var typeOffset: Int?
}

/// A global or static variable with a fixed address.
public struct DWARFVariable: Sendable, Equatable {
    /// Its name (`DW_AT_name`).
    public var name: String
    /// `DW_OP_addr` of its location (in a relocatable object, the offset in its section).
    public var address: UInt64
    /// Bytes it occupies, when its type says.
    public var size: Int?
    /// Its elements, when it is an array (the first dimension).
    public var elementCount: Int?
    /// The entry of its type in `.debug_info`.
    public var typeOffset: Int?
}

/// An enumeration type and its enumerators.
public struct DWARFEnumeration: Sendable, Equatable {
    /// One named value.
    public struct Enumerator: Sendable, Equatable {
        /// The enumerator's name (`RUNNING`).
        public var name: String
        /// Its value (`DW_AT_const_value`).
        public var value: Int64
    }

    /// The tag name (`procstate` for `enum procstate`).
    public var name: String
    /// `DW_AT_byte_size`, when given.
    public var size: Int?
    /// The enumerators in declaration order.
    public var enumerators: [Enumerator]
}

/// Looking types and variables up by name.
extension DWARFInfo {
    /// How many type entries a size computation follows (typedef chains, array
    /// elements) before a cycle in hostile input is assumed.
    static let typeDepthLimit = 64

    /// The first complete definition of `struct name` (or `union name`).
    public func structure(named name: String) -> DWARFStructure? {
        for index in entries(named: name) {
            let entry = entries[index]
            guard entry.tag == DWARFTag.structureType || entry.tag == DWARFTag.unionType || entry.tag == DWARFTag.classType,
                  !entry.has(DWARFAttribute.declaration), let structure = structure(entry) else { continue }
            return structure
        }
        return nil
    }

    /// The structure a type entry is, through typedefs and qualifiers (`cpu` for `struct cpu`'s typedef).
    public func structure(ofType typeOffset: Int) -> DWARFStructure? {
        guard let entry = resolved(typeOffset),
              entry.tag == DWARFTag.structureType || entry.tag == DWARFTag.unionType || entry.tag == DWARFTag.classType
        else { return nil }
        return structure(entry)
    }

    /// The element type of an array type (through typedefs and qualifiers).
    public func elementType(ofArray typeOffset: Int) -> Int? {
        guard let entry = resolved(typeOffset), entry.tag == DWARFTag.arrayType,
              case .reference(let element)? = entry.value(DWARFAttribute.type) else { return nil }
        return element
    }

    /// The member at a dotted path (`ts.esp0`) through nested structures, with
    /// its offset from the start of `structure`.
    public func member(_ path: String, of structure: DWARFStructure) -> DWARFMember? {
        var current = structure
        var offset = 0
        let parts = path.split(separator: ".").map(String.init)
        for (position, part) in parts.enumerated() {
            guard var member = current.member(named: part) else { return nil }
            offset += member.offset
            if position == parts.count - 1 {
                member.offset = offset
                return member
            }
            guard let type = member.typeOffset, let inner = self.structure(ofType: type) else { return nil }
            current = inner
        }
        return nil
    }

    /// The global variable `name` with an address: a definition's own location,
    /// or that of a definition naming this declaration by `DW_AT_specification`.
    public func variable(named name: String) -> DWARFVariable? {
        let candidates = entries(named: name).filter { entries[$0].tag == DWARFTag.variable }
        for index in candidates {
            if let variable = variable(entries[index], name: name, type: nil) { return variable }
        }
        let declarations = Set(candidates.map { entries[$0].offset })
        for entry in entries where entry.tag == DWARFTag.variable {
            guard case .reference(let target)? = entry.value(DWARFAttribute.specification),
                  declarations.contains(target), let declaration = self.entry(at: target) else { continue }
            let type: Int? = if case .reference(let type)? = declaration.value(DWARFAttribute.type) { type } else { nil }
            if let variable = variable(entry, name: name, type: type) { return variable }
        }
        return nil
    }

    /// `enum name`'s enumerators.
    public func enumeration(named name: String) -> DWARFEnumeration? {
        for index in entries(named: name) where entries[index].tag == DWARFTag.enumerationType {
            let entry = entries[index]
            guard !entry.has(DWARFAttribute.declaration) else { continue }
            var enumerators: [DWARFEnumeration.Enumerator] = []
            for child in entry.children where entries[child].tag == DWARFTag.enumerator {
                let enumerator = entries[child]
                guard let label = self.name(of: enumerator) else { continue }
                let value: Int64
                switch enumerator.value(DWARFAttribute.constValue) {
                case .signed(let signed)?: value = signed
                case .unsigned(let unsigned)?: value = Int64(bitPattern: unsigned)
                default: continue
                }
                enumerators.append(DWARFEnumeration.Enumerator(name: label, value: value))
            }
            return DWARFEnumeration(name: name, size: constant(entry, DWARFAttribute.byteSize), enumerators: enumerators)
        }
        return nil
    }

    /// Bytes a type occupies, through typedefs, qualifiers and arrays.
    public func size(ofType offset: Int) -> Int? { size(ofType: offset, depth: 0) }

    /// Elements in the first dimension of an array type.
    public func elementCount(ofType offset: Int) -> Int? {
        guard let entry = resolved(offset), entry.tag == DWARFTag.arrayType else { return nil }
        for child in entry.children where entries[child].tag == DWARFTag.subrangeType {
            return count(of: entries[child])
        }
        return nil
    }

    // MARK: Helpers

    private func structure(_ entry: DWARFEntry) -> DWARFStructure? {
        guard let size = constant(entry, DWARFAttribute.byteSize) else { return nil }
        var members: [DWARFMember] = []
        for child in entry.children where entries[child].tag == DWARFTag.member {
            let member = entries[child]
            let type: Int? = if case .reference(let type)? = member.value(DWARFAttribute.type) { type } else { nil }
            let memberSize = constant(member, DWARFAttribute.byteSize) ?? type.flatMap { self.size(ofType: $0) }
            members.append(DWARFMember(name: self.name(of: member), offset: memberOffset(member) ?? 0, size: memberSize,
                                       typeOffset: type))
        }
        return DWARFStructure(name: name(of: entry), size: size, members: members, entryOffset: entry.offset)
    }

    /// `DW_AT_data_member_location` as a constant or a `DW_OP_plus_uconst` expression,
    /// else `DW_AT_data_bit_offset` / 8 (a DWARF 4+ bit field); nil when neither applies.
    private func memberOffset(_ member: DWARFEntry) -> Int? {
        switch member.value(DWARFAttribute.dataMemberLocation) {
        case .unsigned(let value)?: return Int(exactly: value)
        case .signed(let value)?: return Int(exactly: value)
        case .block(let expression)?:
            guard expression.first == DWARFOperation.plusUConst else { return nil }
            var reader = DWARFCursor(expression[...], section: "DW_AT_data_member_location", offset: 1)
            return (try? reader.uleb()).flatMap { Int(exactly: $0) }
        case nil:
            if let bits = member.value(DWARFAttribute.dataBitOffset)?.unsignedValue { return Int(exactly: bits / 8) }
            return 0  // a union member
        default: return nil
        }
    }

    private func variable(_ entry: DWARFEntry, name: String, type declaredType: Int?) -> DWARFVariable? {
        guard case .block(let expression)? = entry.value(DWARFAttribute.location),
              let address = staticAddress(expression, unit: entry.unit) else { return nil }
        let type: Int? = if case .reference(let type)? = entry.value(DWARFAttribute.type) { type } else { declaredType }
        return DWARFVariable(name: name, address: address, size: type.flatMap { size(ofType: $0) },
                             elementCount: type.flatMap { elementCount(ofType: $0) }, typeOffset: type)
    }

    /// The address of a location expression that is exactly one `DW_OP_addr` (or `DW_OP_addrx`).
    private func staticAddress(_ expression: [UInt8], unit: Int) -> UInt64? {
        guard let operation = expression.first, units.indices.contains(unit) else { return nil }
        var reader = DWARFCursor(expression[...], section: "DW_AT_location", offset: 1)
        let address: UInt64?
        switch operation {
        case DWARFOperation.address: address = try? reader.unsigned(size: units[unit].addressSize)
        case DWARFOperation.addrx, DWARFOperation.gnuAddressIndex:
            address = (try? reader.uleb()).flatMap { indexedAddress($0, unit: unit) }
        default: return nil
        }
        return reader.isAtEnd ? address : nil
    }

    /// The entry a type reference ends at, through typedefs and qualifiers.
    private func resolved(_ offset: Int) -> DWARFEntry? {
        var current = offset
        for _ in 0..<Self.typeDepthLimit {
            guard let entry = entry(at: current) else { return nil }
            switch entry.tag {
            case DWARFTag.typedef, DWARFTag.constType, DWARFTag.volatileType, DWARFTag.restrictType, DWARFTag.atomicType:
                guard case .reference(let next)? = entry.value(DWARFAttribute.type) else { return nil }
                current = next
            default:
                return entry
            }
        }
        return nil
    }

    private func size(ofType offset: Int, depth: Int) -> Int? {
        guard depth < Self.typeDepthLimit, let entry = entry(at: offset) else { return nil }
        if let size = constant(entry, DWARFAttribute.byteSize) { return size }
        switch entry.tag {
        case DWARFTag.pointerType, DWARFTag.referenceType, DWARFTag.pointerToMemberType:
            return units.indices.contains(entry.unit) ? units[entry.unit].addressSize : nil
        case DWARFTag.typedef, DWARFTag.constType, DWARFTag.volatileType, DWARFTag.restrictType, DWARFTag.atomicType:
            guard case .reference(let next)? = entry.value(DWARFAttribute.type) else { return nil }
            return size(ofType: next, depth: depth + 1)
        case DWARFTag.arrayType:
            guard case .reference(let element)? = entry.value(DWARFAttribute.type),
                  let elementSize = size(ofType: element, depth: depth + 1) else { return nil }
            var total = elementSize
            for child in entry.children where entries[child].tag == DWARFTag.subrangeType {
                guard let count = count(of: entries[child]) else { return nil }
                let (product, overflow) = total.multipliedReportingOverflow(by: count)
                guard !overflow else { return nil }
                total = product
            }
            return total
        default:
            return nil
        }
    }

    /// A subrange's element count: `DW_AT_count`, or upper − lower + 1 (lower 0 by default, as in C).
    private func count(of subrange: DWARFEntry) -> Int? {
        if let count = constant(subrange, DWARFAttribute.count) { return count }
        guard let upper = signedConstant(subrange, DWARFAttribute.upperBound) else { return nil }
        let lower = signedConstant(subrange, DWARFAttribute.lowerBound) ?? 0
        let (difference, overflow) = upper.subtractingReportingOverflow(lower)
        guard !overflow, difference >= -1, difference < Int64(Int32.max) else { return nil }
        return Int(difference + 1)
    }

    /// A non-negative constant attribute as an Int.
    private func constant(_ entry: DWARFEntry, _ attribute: UInt64) -> Int? {
        entry.value(attribute)?.unsignedValue.flatMap { Int(exactly: $0) }
    }

    private func signedConstant(_ entry: DWARFEntry, _ attribute: UInt64) -> Int64? {
        switch entry.value(attribute) {
        case .signed(let value)?: value
        case .unsigned(let value)?: value <= UInt64(Int64.max) ? Int64(value) : nil
        default: nil
        }
    }
}
