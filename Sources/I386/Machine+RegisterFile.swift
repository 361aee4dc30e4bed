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
        let target = UnsafeMutableRawPointer(words)
        target.storeBytes(of: UnsafeRawPointer(registers).loadUnaligned(as: SIMD8<UInt32>.self), as: SIMD8<UInt32>.self)
        words[8] = eip
        words[9] = eflags
        let system = UnsafeRawPointer(systemWords)
        target.storeBytes(of: system.loadUnaligned(as: SIMD8<UInt32>.self), toByteOffset: 40, as: SIMD8<UInt32>.self)
        target.storeBytes(of: system.loadUnaligned(fromByteOffset: 32, as: SIMD8<UInt32>.self), toByteOffset: 72,
                          as: SIMD8<UInt32>.self)
    }

    /// Refreshes `systemWords` from the segment, control and debug registers.
    func mirrorSystemWords() {
        for index in 0..<6 { systemWords[index] = UInt32(segments[index].selector) }
        systemWords[6] = cr0
        systemWords[7] = cr2
        systemWords[8] = cr3
        systemWords[9] = cr4
        for index in 0..<4 { systemWords[10 + index] = debugRegisters[index] }
        systemWords[14] = debugRegisters[6]
        systemWords[15] = debugRegisters[7]
    }
}
