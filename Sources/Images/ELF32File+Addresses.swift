/// Reading an executable's initialized data by virtual address.
extension ELF32File {
    /// `count` bytes at virtual address `address`, from the allocated section
    /// that holds them (zeros from `.bss`); nil when no section covers them all.
    public func bytes(atVirtualAddress address: UInt32, count: Int) -> [UInt8]? {
        guard count >= 0 else { return nil }
        let end = UInt64(address) + UInt64(count)
        for section in sections where section.flags & 0x2 != 0 {  // SHF_ALLOC
            let start = UInt64(section.address)
            guard UInt64(address) >= start, end <= start + UInt64(section.size) else { continue }
            if section.hasNoBits { return [UInt8](repeating: 0, count: count) }
            let contents = contents(of: section)
            let first = contents.startIndex + Int(UInt64(address) - start)
            return Array(contents[first..<(first + count)])
        }
        return nil
    }

    /// The 32-bit little-endian word at virtual address `address`.
    public func word(atVirtualAddress address: UInt32) -> UInt32? {
        guard let bytes = bytes(atVirtualAddress: address, count: 4) else { return nil }
        return bytes.reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }
}
