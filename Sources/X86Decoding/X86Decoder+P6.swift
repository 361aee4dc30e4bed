/// Where the modelled P6 (`I386.CPUModel`) decodes bytes differently from
/// Capstone 4, and where Capstone's text does not say what executes.
///
/// Decoding:
/// - `0F 18`–`0F 1F` with any ModR/M are hint NOPs on P6 parts (the long NOP
///   `0F 1F /0` among them); Capstone 4 rejects most register forms and names
///   some memory forms after later extensions (endbr32, bnd…).
/// - `0F B9` (ud1) takes a ModR/M byte; Capstone 4 stops after the opcode.
/// - `F3 0F BC`/`F3 0F BD` are tzcnt/lzcnt for Capstone; a P6 ignores the
///   prefix and executes bsf/bsr.
///
/// Text (the instruction is the same; Capstone's words for it are not):
/// - a string instruction with 0x66 before its rep prefix keeps the 32-bit
///   size in Capstone 4's text (`66 f3 a5` reads `rep movsl`; it moves words);
/// - 0x66 on a relative jump, jcc, loop or jecxz clears the upper half of eip,
///   which Capstone's target leaves in;
/// - 0x67 on loop, loope and loopne counts in cx (shown as `addr16`);
/// - 0x66 on enter and leave (both syntaxes) and on ret, retf and call (Intel
///   syntax) is not shown; movzx/movsx from a word into a word and bswap of a
///   word get a 32-bit AT&T suffix;
/// - xlat shows neither its segment nor bx against ebx.
extension X86Decoder {
    /// Decodes as the P6 does. Call with `capstoneLock` held.
    func decodeAsP6(_ bytes: UnsafeRawBufferPointer, address: UInt32) -> DecodedInstruction? {
        let prefixes = LegacyPrefixes(bytes)
        let at = prefixes.count
        if at + 1 < bytes.count, bytes[at] == 0x0F {
            switch bytes[at + 1] {
            case 0x18...0x1F: return hintNOP(bytes, prefixes: prefixes, address: address)
            case 0xB9: return ud1(bytes, prefixes: prefixes, address: address)
            case 0xBC, 0xBD where prefixes.repeatByte != nil:
                return bitScanIgnoringRepeat(bytes, prefixes: prefixes, address: address)
            default: break
            }
        }
        guard var instruction = capstoneDecode(bytes, address: address) else { return nil }
        correctText(&instruction, bytes, prefixes: prefixes)
        return instruction
    }

    // MARK: Decoding

    /// A hint NOP: no operation and no memory access, whatever the ModR/M says.
    private func hintNOP(_ bytes: UnsafeRawBufferPointer, prefixes: LegacyPrefixes, address: UInt32) -> DecodedInstruction? {
        let at = prefixes.count
        guard at + 2 < bytes.count,
              let tail = Self.modRMLength(bytes, at: at + 2, addressSize16: prefixes.addressSize) else { return nil }
        let length = at + 2 + tail
        guard length <= 15 else { return nil }
        let own = Array(bytes.prefix(length))
        let modRM = bytes[at + 2]
        var instruction: DecodedInstruction
        if modRM >= 0xC0 {
            let wide = !prefixes.operandSize
            let names32: [X86Register] = [.eax, .ecx, .edx, .ebx, .esp, .ebp, .esi, .edi]
            let names16: [X86Register] = [.ax, .cx, .dx, .bx, .sp, .bp, .si, .di]
            let register = (wide ? names32 : names16)[Int(modRM & 7)]
            let name = "\(register)"
            instruction = DecodedInstruction(
                address: address, bytes: own, mnemonic: .nop, name: "nop",
                syntaxMnemonic: syntax == .att ? (wide ? "nopl" : "nopw") : "nop",
                operandText: syntax == .att ? "%" + name : name,
                operands: [X86Operand(kind: .register(register), size: wide ? 4 : 2, access: [])],
                prefixes: [], segmentOverride: nil, opcode: [], modRM: 0, hasModRM: true,
                flagEffects: X86FlagEffects())
        } else if let decoded = capstoneDecode(own, address: address), decoded.length == length,
                  decoded.name == "nop" || decoded.name.hasPrefix("prefetch") {
            instruction = decoded
        } else {
            // Capstone's words for the same memory operand under the long NOP (0F 1F /0).
            var borrowed = own.prefix(at).filter { $0 != 0xF2 && $0 != 0xF3 }
            borrowed += [0x0F, 0x1F, modRM & 0xC7]
            borrowed += own[(at + 3)...]
            guard let decoded = capstoneDecode(Array(borrowed), address: address) else { return nil }
            instruction = decoded
        }
        instruction.bytes = own
        instruction.mnemonic = .nop
        instruction.name = "nop"
        instruction.prefixes = prefixes.set
        instruction.segmentOverride = prefixes.segment
        instruction.opcode = [0x0F, bytes[at + 1]]
        instruction.modRM = modRM
        instruction.hasModRM = true
        instruction.flagEffects = X86FlagEffects()
        return instruction
    }

    /// ud1 with its ModR/M operands (named as imul's, which has the same form).
    private func ud1(_ bytes: UnsafeRawBufferPointer, prefixes: LegacyPrefixes, address: UInt32) -> DecodedInstruction? {
        let at = prefixes.count
        guard at + 2 < bytes.count,
              let tail = Self.modRMLength(bytes, at: at + 2, addressSize16: prefixes.addressSize) else { return nil }
        let length = at + 2 + tail
        guard length <= 15 else { return nil }
        var borrowed = Array(bytes.prefix(length))
        borrowed[at + 1] = 0xAF
        if prefixes.lock { borrowed.removeAll { $0 == 0xF0 } }  // Capstone refuses lock imul
        guard var instruction = capstoneDecode(borrowed, address: address) else { return nil }
        instruction.bytes = Array(bytes.prefix(length))
        instruction.mnemonic = .ud1
        instruction.name = "ud1"
        instruction.syntaxMnemonic = "ud1"
        instruction.prefixes = prefixes.set
        instruction.opcode = [0x0F, 0xB9]
        instruction.flagEffects = X86FlagEffects()
        return instruction
    }

    /// bsf/bsr with an F3 (or F2) prefix the P6 ignores.
    private func bitScanIgnoringRepeat(_ bytes: UnsafeRawBufferPointer, prefixes: LegacyPrefixes,
                                       address: UInt32) -> DecodedInstruction? {
        let at = prefixes.count
        let kept = bytes.prefix(at).filter { $0 != 0xF2 && $0 != 0xF3 }
        let removed = at - kept.count
        guard var instruction = capstoneDecode(Array(kept) + Array(bytes[at...]), address: address) else { return nil }
        instruction.bytes = Array(bytes.prefix(instruction.length + removed))
        let repeats = prefixes.repeatByte == 0xF3
        instruction.prefixes.insert(repeats ? .rep : .repne)
        instruction.syntaxMnemonic = (repeats ? "rep " : "repne ") + instruction.syntaxMnemonic
        return instruction
    }

    // MARK: Text

    private func correctText(_ instruction: inout DecodedInstruction, _ bytes: UnsafeRawBufferPointer,
                             prefixes: LegacyPrefixes) {
        let at = prefixes.count
        guard at < instruction.length else { return }
        let opcode = bytes[at]
        let second: UInt8 = at + 1 < bytes.count ? bytes[at + 1] : 0

        if prefixes.operandSize && prefixes.repeatByte != nil && Self.isString(opcode) {
            // Capstone 4 gets the size right when 0x66 comes last.
            var reordered = bytes.prefix(at).filter { $0 != 0x66 }
            reordered.append(0x66)
            reordered += bytes[at..<instruction.length]
            if let again = capstoneDecode(Array(reordered), address: instruction.address) {
                instruction.syntaxMnemonic = again.syntaxMnemonic
                instruction.operandText = again.operandText
                instruction.operands = again.operands
            }
        }
        if prefixes.operandSize && Self.isShortOrNearBranch(opcode, second),
           let index = instruction.operands.firstIndex(where: { $0.immediate != nil }),
           let target = instruction.operands[index].immediate {
            let truncated = target & 0xFFFF
            instruction.operands[index].kind = .immediate(truncated)
            instruction.operandText = Self.capstoneNumber(truncated)
        }
        if prefixes.addressSize && (0xE0...0xE2).contains(opcode) {
            instruction.syntaxMnemonic = "addr16 " + instruction.syntaxMnemonic
        }
        if prefixes.operandSize {
            let intel = syntax == .intel
            switch (opcode, second) {
            case (0xC8, _), (0xC9, _):
                instruction.syntaxMnemonic += "w"
            case (0xC2, _), (0xC3, _), (0xCA, _), (0xCB, _), (0xE8, _):
                if intel { instruction.syntaxMnemonic += "w" }  // AT&T already says retw, lretw, callw
            case (0x0F, 0xB7), (0x0F, 0xBF):
                if !intel && instruction.syntaxMnemonic.hasSuffix("wl") {
                    instruction.syntaxMnemonic = String(instruction.syntaxMnemonic.dropLast()) + "w"
                }
            case (0x0F, 0xC8...0xCF):
                if !intel { instruction.syntaxMnemonic = "bswap" }
            default:
                break
            }
        }
        if opcode == 0xD7 {
            let segment = prefixes.segment.map { "\($0)" } ?? "ds"
            let base = prefixes.addressSize ? "bx" : "ebx"
            instruction.syntaxMnemonic = "xlat"
            instruction.operandText = syntax == .att ? "%\(segment):(%\(base))" : "byte ptr \(segment):[\(base)]"
        }
    }

    // MARK: Encodings

    /// movs, cmps, stos, lods, scas, ins, outs.
    private static func isString(_ opcode: UInt8) -> Bool {
        (0xA4...0xA7).contains(opcode) || (0xAA...0xAF).contains(opcode) || (0x6C...0x6F).contains(opcode)
    }

    /// jcc rel8, jmp rel8, loop/loope/loopne/jecxz, jcc rel16/32 (Capstone
    /// already truncates the target of jmp and call rel16).
    private static func isShortOrNearBranch(_ opcode: UInt8, _ second: UInt8) -> Bool {
        (0x70...0x7F).contains(opcode) || opcode == 0xEB || (0xE0...0xE3).contains(opcode)
            || (opcode == 0x0F && (0x80...0x8F).contains(second))
    }

    /// A number as Capstone prints one: decimal up to 9, else 0x-prefixed hex.
    static func capstoneNumber(_ value: Int64) -> String {
        value >= 0 && value <= 9 ? "\(value)" : "0x" + String(value, radix: 16)
    }

    /// The length of a ModR/M byte at `index` with its SIB byte and
    /// displacement; nil when `bytes` end before them.
    static func modRMLength(_ bytes: UnsafeRawBufferPointer, at index: Int, addressSize16: Bool) -> Int? {
        guard index < bytes.count else { return nil }
        let modRM = bytes[index]
        let mod = modRM >> 6
        let rm = modRM & 7
        var length = 1
        if mod == 3 { return length }
        if addressSize16 {
            if mod == 1 { length += 1 }
            if mod == 2 || (mod == 0 && rm == 6) { length += 2 }
        } else {
            if rm == 4 {
                guard index + 1 < bytes.count else { return nil }
                length += 1
                if mod == 0 && bytes[index + 1] & 7 == 5 { length += 4 }
            }
            if mod == 1 { length += 1 }
            if mod == 2 || (mod == 0 && rm == 5) { length += 4 }
        }
        return index + length <= bytes.count ? length : nil
    }
}

/// The legacy prefixes in front of an opcode, as the CPU reads them (up to 15 bytes).
struct LegacyPrefixes {
    /// How many prefix bytes come before the opcode.
    var count = 0
    var operandSize = false
    var addressSize = false
    var lock = false
    /// The last of 0xF2 and 0xF3, if any.
    var repeatByte: UInt8?
    /// The segment of the last segment-override prefix.
    var segment: X86Register?

    init(_ bytes: UnsafeRawBufferPointer) {
        scan: while count < min(bytes.count, 15) {
            switch bytes[count] {
            case 0x66: operandSize = true
            case 0x67: addressSize = true
            case 0xF0: lock = true
            case 0xF2, 0xF3: repeatByte = bytes[count]
            case 0x26: segment = .es
            case 0x2E: segment = .cs
            case 0x36: segment = .ss
            case 0x3E: segment = .ds
            case 0x64: segment = .fs
            case 0x65: segment = .gs
            default: break scan
            }
            count += 1
        }
    }

    /// The prefixes as `X86Prefixes`.
    var set: X86Prefixes {
        var result: X86Prefixes = []
        if operandSize { result.insert(.operandSize) }
        if addressSize { result.insert(.addressSize) }
        if lock { result.insert(.lock) }
        if repeatByte == 0xF3 { result.insert(.rep) }
        if repeatByte == 0xF2 { result.insert(.repne) }
        if segment != nil { result.insert(.segmentOverride) }
        return result
    }
}
