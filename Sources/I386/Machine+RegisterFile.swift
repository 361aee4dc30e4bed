/// A fixed-layout copy of the registers, for tracers: cheap to take every instruction.
extension Machine {
    /// Register names in `copyRegisterFile` order.
    public static let registerFileNames = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
                                           "eip", "eflags", "es", "cs", "ss", "ds", "fs", "gs",
                                           "cr0", "cr2", "cr3", "cr4", "dr0", "dr1", "dr2", "dr3", "dr6", "dr7"]
    /// How many words `copyRegisterFile` writes.
    public static let registerFileCount = 26

    /// Writes the registers in `registerFileNames` order to `words` (26 words).
    @inline(__always)
    public func copyRegisterFile(into words: UnsafeMutablePointer<UInt32>) {
        for index in 0..<8 { words[index] = registers[index] }
        words[8] = eip
        words[9] = eflags
        for index in 0..<6 { words[10 + index] = UInt32(segments[index].selector) }
        words[16] = cr0
        words[17] = cr2
        words[18] = cr3
        words[19] = cr4
        words[20] = debugRegisters[0]
        words[21] = debugRegisters[1]
        words[22] = debugRegisters[2]
        words[23] = debugRegisters[3]
        words[24] = debugRegisters[6]
        words[25] = debugRegisters[7]
    }
}
