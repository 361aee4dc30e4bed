/// The memory images of fnstenv/fldenv (28 bytes), fnsave/frstor (108 bytes)
/// and fxsave/fxrstor (512 bytes), in their 32-bit protected-mode layouts.
///
/// Offsets, as the SDM's Figures 8-9 and 10-2 and Table 10-2 give them:
///
/// | env/fnsave | field |
/// |---|---|
/// | 0 | FCW; bytes 2–3 reserved, stored as 0xFFFF |
/// | 4 | FSW; bytes 6–7 stored as 0xFFFF |
/// | 8 | FTW (full tags); bytes 10–11 stored as 0xFFFF |
/// | 12 | FIP |
/// | 16 | FCS (bits 0–15), FOP (bits 16–26), bits 27–31 stored as 0 |
/// | 20 | FDP |
/// | 24 | FDS; bytes 26–27 stored as 0xFFFF |
/// | 28 + 10·i | fnsave only: ST(i), i = 0…7 |
///
/// With a 16-bit operand size the environment is 14 bytes of words (FCW,
/// FSW, FTW, FIP, FCS, FDP, FDS; `X87EnvironmentFormat.protectedMode16`) and
/// the registers follow at 14 + 10·i.
///
/// | fxsave | field |
/// |---|---|
/// | 0 | FCW |
/// | 2 | FSW |
/// | 4 | abridged FTW (bit p: physical register p not empty); byte 5 stored as 0 |
/// | 6 | FOP (bits 0–10; 11–15 stored as 0) |
/// | 8 | FIP |
/// | 12 | FCS; bytes 14–15 stored as 0 |
/// | 16 | FDP |
/// | 20 | FDS; bytes 22–23 stored as 0 |
/// | 24 | MXCSR |
/// | 28 | MXCSR_MASK |
/// | 32 + 16·i | ST(i), 10 bytes, then 6 bytes stored as 0 |
/// | 160 | XMM0–XMM7 (kept as bytes: `xmmArea`) |
/// | 288–511 | not written (reserved in 32-bit mode; 464–511 are for software) |
///
/// The reserved values stored are what the host (AMD) and Bochs store; the
/// SDM says only "reserved". Loads ignore every reserved bit, read only
/// "empty or not" from a tag word (11 is empty), keep FCW as fldcw does,
/// and recompute ES and B from the loaded flags and masks (a loaded ES or B
/// bit is ignored, as on the host); SF and C0–C3 load as they are.
extension X87State {
    /// The size of an fnstenv/fldenv image.
    public static let environmentSize = 28
    /// The size of an fnsave/frstor image.
    public static let saveSize = 108
    /// The size of an fxsave/fxrstor image.
    public static let fxsaveSize = 512
    /// How much of the fxsave image the processor writes in 32-bit mode.
    public static let fxsaveWrittenSize = 288

    // MARK: - fnstenv / fldenv

    /// fnstenv/fstenv: the environment (28 bytes, or 14 in `format`
    /// `.protectedMode16`), after which all exceptions are masked (so ES and
    /// B clear: a pending exception is no longer pending, as on the host).
    public mutating func storeEnvironment(format: X87EnvironmentFormat = .protectedMode32) -> [UInt8] {
        let image = environmentImage(format: format)
        controlWord.masks = .all
        updateErrorSummary()
        return image
    }

    /// fldenv: loads control, status and tag words and the pointers from an
    /// environment in `format` (missing bytes read as zero).
    public mutating func loadEnvironment(_ image: [UInt8], format: X87EnvironmentFormat = .protectedMode32) {
        let reader = X87ImageReader(image)
        let isWide = format == .protectedMode32
        let step = isWide ? 4 : 2
        controlWord = X87ControlWord(rawValue: reader.word(0))
        statusWord = X87StatusWord(rawValue: reader.word(step))
        let tags = reader.word(2 * step)
        var occupied: UInt8 = 0
        for physical in 0..<8 where (tags >> (2 * physical)) & 3 != 3 {
            occupied |= 1 << physical
        }
        occupiedRegisters = occupied
        if isWide {
            let selectorAndOpcode = reader.doubleword(16)
            lastInstruction = X87InstructionPointers(
                instructionOffset: reader.doubleword(12),
                instructionSelector: UInt16(truncatingIfNeeded: selectorAndOpcode),
                opcode: UInt16(truncatingIfNeeded: selectorAndOpcode >> 16),
                operandOffset: reader.doubleword(20),
                operandSelector: reader.word(24))
        } else {
            lastInstruction = X87InstructionPointers(
                instructionOffset: UInt32(reader.word(6)), instructionSelector: reader.word(8), opcode: 0,
                operandOffset: UInt32(reader.word(10)), operandSelector: reader.word(12))
        }
        updateErrorSummary()
    }

    // MARK: - fnsave / frstor

    /// fnsave/fsave: the image (the environment in `format`, then
    /// ST(0)…ST(7); 108 or 94 bytes), after which the FPU is initialized as
    /// by fninit.
    public mutating func save(format: X87EnvironmentFormat = .protectedMode32) -> [UInt8] {
        var image = environmentImage(format: format)
        for index in 0..<8 { image += st(index).bytes }
        initialize()
        return image
    }

    /// frstor: loads the environment and ST(0)…ST(7) (numbered by the loaded
    /// TOP) from an image in `format` (missing bytes read as zero).
    public mutating func restore(_ image: [UInt8], format: X87EnvironmentFormat = .protectedMode32) {
        loadEnvironment(Array(image.prefix(format.size)), format: format)
        let reader = X87ImageReader(image)
        for index in 0..<8 {
            registers[physicalIndex(ofST: index)] = reader.extendedReal(format.size + 10 * index)
        }
    }

    // MARK: - fxsave / fxrstor

    /// fxsave: the first 288 bytes of the 512-byte image (the processor
    /// leaves bytes 288–511 alone in 32-bit mode). The state is unchanged.
    public func fxsaveImage() -> [UInt8] {
        var image = [UInt8](repeating: 0, count: Self.fxsaveWrittenSize)
        put(controlWord.rawValue, at: 0, in: &image)
        put(statusWord.rawValue, at: 2, in: &image)
        image[4] = occupiedRegisters
        put(lastInstruction.opcode & 0x07FF, at: 6, in: &image)
        put(lastInstruction.instructionOffset, at: 8, in: &image)
        put(lastInstruction.instructionSelector, at: 12, in: &image)
        put(lastInstruction.operandOffset, at: 16, in: &image)
        put(lastInstruction.operandSelector, at: 20, in: &image)
        put(mxcsr, at: 24, in: &image)
        put(mxcsrMask, at: 28, in: &image)
        for index in 0..<8 {
            image.replaceSubrange((32 + 16 * index)..<(42 + 16 * index), with: st(index).bytes)
        }
        image.replaceSubrange(160..<288, with: xmmBytes.bytes)
        return image
    }

    /// fxrstor: loads the x87 state, MXCSR and the XMM area from a 512-byte
    /// image (missing bytes read as zero). An MXCSR with bits outside
    /// `mxcsrMask` set throws (the guest gets #GP(0)) and loads nothing.
    public mutating func restoreFXSAVEImage(_ image: [UInt8]) throws(X87StateError) {
        let reader = X87ImageReader(image)
        let newMXCSR = reader.doubleword(24)
        guard newMXCSR & ~mxcsrMask == 0 else { throw .reservedMXCSRBits(newMXCSR) }
        mxcsr = newMXCSR
        controlWord = X87ControlWord(rawValue: reader.word(0))
        statusWord = X87StatusWord(rawValue: reader.word(2))
        occupiedRegisters = reader.byte(4)
        lastInstruction = X87InstructionPointers(
            instructionOffset: reader.doubleword(8), instructionSelector: reader.word(12),
            opcode: reader.word(6), operandOffset: reader.doubleword(16), operandSelector: reader.word(20))
        for index in 0..<8 {
            registers[physicalIndex(ofST: index)] = reader.extendedReal(32 + 16 * index)
        }
        xmmBytes = X87XMMArea((160..<288).map { reader.byte($0) })
        updateErrorSummary()
    }

    // MARK: - Encoding helpers

    private func environmentImage(format: X87EnvironmentFormat) -> [UInt8] {
        var image = [UInt8](repeating: 0, count: format.size)
        guard format == .protectedMode32 else {
            let words = [controlWord.rawValue, statusWord.rawValue, tagWord,
                         UInt16(truncatingIfNeeded: lastInstruction.instructionOffset), lastInstruction.instructionSelector,
                         UInt16(truncatingIfNeeded: lastInstruction.operandOffset), lastInstruction.operandSelector]
            for (index, word) in words.enumerated() { put(word, at: 2 * index, in: &image) }
            return image
        }
        put(0xFFFF_0000 | UInt32(controlWord.rawValue), at: 0, in: &image)
        put(0xFFFF_0000 | UInt32(statusWord.rawValue), at: 4, in: &image)
        put(0xFFFF_0000 | UInt32(tagWord), at: 8, in: &image)
        put(lastInstruction.instructionOffset, at: 12, in: &image)
        put(UInt32(lastInstruction.instructionSelector) | UInt32(lastInstruction.opcode & 0x07FF) << 16, at: 16, in: &image)
        put(lastInstruction.operandOffset, at: 20, in: &image)
        put(0xFFFF_0000 | UInt32(lastInstruction.operandSelector), at: 24, in: &image)
        return image
    }

    private func put<Value: FixedWidthInteger>(_ value: Value, at offset: Int, in image: inout [UInt8]) {
        for index in 0..<(Value.bitWidth / 8) {
            image[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * index))
        }
    }
}
