extension ELF32File {
    /// The program interpreter a Linux user program names (`PT_INTERP`, or an
    /// `.interp` section when a link script left the program header out), e.g.
    /// "/lib/ld-linux.so.2"; nil for a kernel or a freestanding image.
    public var programInterpreter: String? {
        let bytes: ArraySlice<UInt8>
        if let segment = segments.first(where: { $0.type == 3 }) {
            bytes = contents(of: segment)
        } else if let section = sections.first(where: { $0.name == ".interp" }) {
            bytes = contents(of: section)
        } else {
            return nil
        }
        return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
}
