/// The DWARF tag, attribute and form codes this reader uses (DWARF 5, section 7.5;
/// the same codes in DWARF 2–4).
enum DWARFTag {
    static let arrayType: UInt64 = 0x01
    static let classType: UInt64 = 0x02
    static let enumerationType: UInt64 = 0x04
    static let member: UInt64 = 0x0D
    static let pointerType: UInt64 = 0x0F
    static let referenceType: UInt64 = 0x10
    static let compileUnit: UInt64 = 0x11
    static let structureType: UInt64 = 0x13
    static let subroutineType: UInt64 = 0x15
    static let typedef: UInt64 = 0x16
    static let unionType: UInt64 = 0x17
    static let pointerToMemberType: UInt64 = 0x1F
    static let subrangeType: UInt64 = 0x21
    static let baseType: UInt64 = 0x24
    static let constType: UInt64 = 0x26
    static let enumerator: UInt64 = 0x28
    static let subprogram: UInt64 = 0x2E
    static let variable: UInt64 = 0x34
    static let volatileType: UInt64 = 0x35
    static let restrictType: UInt64 = 0x37
    static let atomicType: UInt64 = 0x47
}

enum DWARFAttribute {
    static let location: UInt64 = 0x02
    static let name: UInt64 = 0x03
    static let byteSize: UInt64 = 0x0B
    static let bitSize: UInt64 = 0x0D
    static let lowerBound: UInt64 = 0x22
    static let constValue: UInt64 = 0x1C
    static let upperBound: UInt64 = 0x2F
    static let count: UInt64 = 0x37
    static let dataMemberLocation: UInt64 = 0x38
    static let declaration: UInt64 = 0x3C
    static let specification: UInt64 = 0x47
    static let type: UInt64 = 0x49
    static let dataBitOffset: UInt64 = 0x6B
    static let stringOffsetsBase: UInt64 = 0x72
    static let addressBase: UInt64 = 0x73
}

enum DWARFForm {
    static let address: UInt64 = 0x01
    static let block2: UInt64 = 0x03
    static let block4: UInt64 = 0x04
    static let data2: UInt64 = 0x05
    static let data4: UInt64 = 0x06
    static let data8: UInt64 = 0x07
    static let string: UInt64 = 0x08
    static let block: UInt64 = 0x09
    static let block1: UInt64 = 0x0A
    static let data1: UInt64 = 0x0B
    static let flag: UInt64 = 0x0C
    static let sdata: UInt64 = 0x0D
    static let strp: UInt64 = 0x0E
    static let udata: UInt64 = 0x0F
    static let referenceAddress: UInt64 = 0x10
    static let reference1: UInt64 = 0x11
    static let reference2: UInt64 = 0x12
    static let reference4: UInt64 = 0x13
    static let reference8: UInt64 = 0x14
    static let referenceUData: UInt64 = 0x15
    static let indirect: UInt64 = 0x16
    static let sectionOffset: UInt64 = 0x17
    static let expressionLocation: UInt64 = 0x18
    static let flagPresent: UInt64 = 0x19
    static let strx: UInt64 = 0x1A
    static let addrx: UInt64 = 0x1B
    static let referenceSupplementary4: UInt64 = 0x1C
    static let strpSupplementary: UInt64 = 0x1D
    static let data16: UInt64 = 0x1E
    static let lineStrp: UInt64 = 0x1F
    static let referenceSignature8: UInt64 = 0x20
    static let implicitConst: UInt64 = 0x21
    static let loclistx: UInt64 = 0x22
    static let rnglistx: UInt64 = 0x23
    static let referenceSupplementary8: UInt64 = 0x24
    static let strx1: UInt64 = 0x25
    static let strx2: UInt64 = 0x26
    static let strx3: UInt64 = 0x27
    static let strx4: UInt64 = 0x28
    static let addrx1: UInt64 = 0x29
    static let addrx2: UInt64 = 0x2A
    static let addrx3: UInt64 = 0x2B
    static let addrx4: UInt64 = 0x2C
    // GNU extensions (split DWARF and dwz), read so their units can be skipped over.
    static let gnuAddressIndex: UInt64 = 0x1F01
    static let gnuStringIndex: UInt64 = 0x1F02
    static let gnuReferenceAlternate: UInt64 = 0x1F20
    static let gnuStrpAlternate: UInt64 = 0x1F21
}

/// Location-expression operations used for a global's address and a member's offset.
enum DWARFOperation {
    static let address: UInt8 = 0x03
    static let plusUConst: UInt8 = 0x23
    static let addrx: UInt8 = 0xA1
    static let constx: UInt8 = 0xA2
    static let gnuAddressIndex: UInt8 = 0xFB
}
