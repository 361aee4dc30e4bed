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
        RegisterFileValues(self).store(into: words)
    }

    /// Copies the register file into `words` like `copyRegisterFile(into:)` and
    /// returns which words differ from `previous` (bit n for word n). The
    /// comparison uses the values just loaded, not `words`: reading back what
    /// was just stored in other widths stalls store forwarding.
    @inline(__always)
    public func copyRegisterFile(into words: UnsafeMutablePointer<UInt32>,
                                 comparingWith previous: UnsafePointer<UInt32>) -> UInt32 {
        let values = RegisterFileValues(self)
        values.store(into: words)
        let old = UnsafeRawPointer(previous)
        var changed = Self.lanesDiffering(values.general, old.loadUnaligned(as: SIMD8<UInt32>.self))
        if values.eip != previous[8] { changed |= 1 << 8 }
        if values.eflags != previous[9] { changed |= 1 << 9 }
        // Selectors, CRs and DRs rarely change: test for any difference before finding which.
        let oldLow = old.loadUnaligned(fromByteOffset: 40, as: SIMD8<UInt32>.self)
        let oldHigh = old.loadUnaligned(fromByteOffset: 72, as: SIMD8<UInt32>.self)
        if any(values.systemLow .!= oldLow) { changed |= Self.lanesDiffering(values.systemLow, oldLow) << 10 }
        if any(values.systemHigh .!= oldHigh) { changed |= Self.lanesDiffering(values.systemHigh, oldHigh) << 18 }
        return changed
    }

    /// Like `copyRegisterFile(into:comparingWith:)` for words 0–9 (the general
    /// registers, eip and eflags) only: words 10–25 of `words` are left as
    /// they are, for a caller that knows they already hold the selectors,
    /// CRs and DRs (`systemRegistersGeneration` has not moved since it copied them).
    @inline(__always)
    public func copyGeneralRegisters(into words: UnsafeMutablePointer<UInt32>,
                                     comparingWith previous: UnsafePointer<UInt32>) -> UInt32 {
        let eflags = self.eflags
        let eip = self.eip
        let stride = registerReadStride
        var changed: UInt32 = 0
        for index in 0..<8 {
            let value = registers[index &* stride]
            words[index] = value
            if value != previous[index] { changed |= 1 << UInt32(index) }
        }
        words[8] = eip
        words[9] = eflags
        if eip != previous[8] { changed |= 1 << 8 }
        if eflags != previous[9] { changed |= 1 << 9 }
        return changed
    }

    /// The 26 words of the register file, loaded once.
    private struct RegisterFileValues {
        let general: SIMD8<UInt32>, eip: UInt32, eflags: UInt32, systemLow: SIMD8<UInt32>, systemHigh: SIMD8<UInt32>

        @inline(__always)
        init(_ machine: Machine) {
            eflags = machine.eflags  // first: materializing the flags is a call
            eip = machine.eip
            general = UnsafeRawPointer(machine.registers).loadUnaligned(as: SIMD8<UInt32>.self)
            let system = UnsafeRawPointer(machine.systemWords)
            systemLow = system.loadUnaligned(as: SIMD8<UInt32>.self)
            systemHigh = system.loadUnaligned(fromByteOffset: 32, as: SIMD8<UInt32>.self)
        }

        @inline(__always)
        func store(into words: UnsafeMutablePointer<UInt32>) {
            let target = UnsafeMutableRawPointer(words)
            target.storeBytes(of: general, as: SIMD8<UInt32>.self)
            words[8] = eip
            words[9] = eflags
            target.storeBytes(of: systemLow, toByteOffset: 40, as: SIMD8<UInt32>.self)
            target.storeBytes(of: systemHigh, toByteOffset: 72, as: SIMD8<UInt32>.self)
        }
    }

    /// Bit n set where lane n of `left` and `right` differ.
    @inline(__always)
    static func lanesDiffering(_ left: SIMD8<UInt32>, _ right: SIMD8<UInt32>) -> UInt32 {
        let differing = unsafeBitCast(left .!= right, to: SIMD8<UInt32>.self)  // all ones where they differ
        return (differing & SIMD8<UInt32>(1, 2, 4, 8, 16, 32, 64, 128)).wrappedSum()
    }

    /// Refreshes `systemWords` from the segment, control and debug registers.
    func mirrorSystemWords() {
        systemRegistersGeneration &+= 1
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
