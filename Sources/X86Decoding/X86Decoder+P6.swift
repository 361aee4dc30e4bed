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
/// - Capstone 4 loses a prefix's effect when certain others follow it (66
///   before f3 or 26, 67 before 66 or f3): `66 f2 a5` was one `movsl`, not
///   a repeated `movsw`. kstep decodes one prefix of each kind in an order
///   Capstone reads right, and takes the prefixes from its own scan.
/// - An instruction longer than 15 bytes (redundant prefixes) is
///   `DecodeError.tooLong`: #GP(0).
///
/// Text (the instruction is the same; Capstone's words for it are not):
/// - 0x66 on a relative jump, jcc, loop or jecxz clears the upper half of eip,
///   which Capstone's target leaves in;
/// - 0x67 on loop, loope and loopne counts in cx (shown as `addr16`);
/// - 0x66 on enter and leave (both syntaxes) and on ret, retf and call (Intel
///   syntax) is not shown; movzx/movsx from a word into a word and bswap of a
///   word get a 32-bit AT&T suffix;
/// - f2 on movs, stos, lods, ins and outs repeats them as f3 does; Capstone
///   4 shows no prefix;
/// - xlat shows neither its segment nor bx against ebx;
/// - xacquire, xrelease and bnd name hints a P6 ignores.
extension X86Decoder {
    /// Decodes as the P6 does. Call with `capstoneLock` held.
    func decodeAsP6(_ bytes: UnsafeRawBufferPointer, address: UInt32) -> Result<DecodedInstruction, DecodeError> {
        let prefixes = LegacyPrefixes(bytes)
        let at = prefixes.count
        let window = Array(bytes.prefix(15))
        let undecodable = Result<DecodedInstruction, DecodeError>.failure(.invalidInstruction(address: address, bytes: window))
        let tooLong = Result<DecodedInstruction, DecodeError>.failure(.tooLong(address: address, bytes: window))
        guard at < bytes.count else { return at == 15 ? tooLong : undecodable }

        var special: DecodedInstruction?? = .none
        if at + 1 < bytes.count, bytes[at] == 0x0F {
            switch bytes[at + 1] {
            case 0x18...0x1F: special = .some(hintNOP(bytes, prefixes: prefixes, address: address))
            case 0xB9: special = .some(ud1(bytes, prefixes: prefixes, address: address))
            case 0xBC, 0xBD where prefixes.repeatByte != nil:
                special = .some(bitScanIgnoringRepeat(bytes, prefixes: prefixes, address: address))
            default: break
            }
        }
        if case .some(let decoded) = special {
            guard let decoded else { return bytes.count >= 15 && at >= 13 ? tooLong : undecodable }
            return decoded.length > 15 ? tooLong : .success(decoded)
        }

        // Capstone 4 loses the effect of a prefix that another follows (66 before
        // f3, 67 before 66, 66 before 26…): it decodes one of each kind, in an
        // order it reads right, and the instruction keeps its own bytes.
        let canonical = prefixes.canonicalBytes(addressSizeLast: (0xE0...0xE3).contains(bytes[at]))
        let body = Array(bytes[at...])
        guard var instruction = capstoneDecode(canonical + body, address: address) else {
            // Cut short by the 15-byte window? Then it is too long (a CPU's #GP(0)).
            if bytes.count >= 15, let padded = capstoneDecode(canonical + body + [UInt8](repeating: 0, count: 15), address: address),
               at + padded.length - canonical.count > 15 {
                return tooLong
            }
            return undecodable
        }
        let length = at + instruction.length - canonical.count
        guard length <= 15 else { return tooLong }
        instruction.bytes = Array(bytes.prefix(length))
        instruction.prefixes = prefixes.set
        instruction.segmentOverride = prefixes.segment
        correctText(&instruction, bytes, prefixes: prefixes)
        return .success(instruction)
    }

    // MARK: Decoding

    /// A hint NOP: no operation and no memory access, whatever the ModR/M says.
    private func hintNOP(_ bytes: UnsafeRawBufferPointer, prefixes: LegacyPrefixes, address: UInt32) -> DecodedInstruction? {
        let at = prefixes.count
        guard at + 2 < bytes.count,
              let tail = Self.modRMLength(bytes, at: at + 2, addressSize16: prefixes.addressSize) else { return nil }
        let length = at + 2 + tail
        let own = Array(bytes.prefix(length))
        let modRM = bytes[at + 2]
        var plain = prefixes
        plain.repeatByte = nil
        let canonical = plain.canonicalBytes(addressSizeLast: false)
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
        } else if prefixes.repeatByte == nil, bytes[at + 1] == 0x18, (modRM >> 3) & 7 < 4,
                  let decoded = capstoneDecode(canonical + own[at...], address: address),
                  decoded.length == canonical.count + length - at, decoded.name.hasPrefix("prefetch") {
            instruction = decoded  // a prefetch: a hint by its Pentium III name
        } else {
            // Capstone's words for the same memory operand under the long NOP (0F 1F /0).
            let borrowed = canonical + [0x0F, 0x1F, modRM & 0xC7] + own[(at + 3)...]
            guard let decoded = capstoneDecode(borrowed, address: address) else { return nil }
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
        var plain = prefixes
        plain.lock = false  // Capstone refuses lock imul
        plain.repeatByte = nil
        let borrowed = plain.canonicalBytes(addressSizeLast: false) + [0x0F, 0xAF] + bytes[(at + 2)..<length]
        guard var instruction = capstoneDecode(borrowed, address: address) else { return nil }
        instruction.bytes = Array(bytes.prefix(length))
        instruction.mnemonic = .ud1
        instruction.name = "ud1"
        instruction.syntaxMnemonic = "ud1"
        instruction.prefixes = prefixes.set
        instruction.segmentOverride = prefixes.segment
        instruction.opcode = [0x0F, 0xB9]
        instruction.flagEffects = X86FlagEffects()
        return instruction
    }

    /// bsf/bsr with an F3 (or F2) prefix the P6 ignores.
    private func bitScanIgnoringRepeat(_ bytes: UnsafeRawBufferPointer, prefixes: LegacyPrefixes,
                                       address: UInt32) -> DecodedInstruction? {
        let at = prefixes.count
        var plain = prefixes
        plain.repeatByte = nil
        let canonical = plain.canonicalBytes(addressSizeLast: false)
        guard var instruction = capstoneDecode(canonical + Array(bytes[at...]), address: address) else { return nil }
        instruction.bytes = Array(bytes.prefix(at + instruction.length - canonical.count))
        instruction.prefixes = prefixes.set
        instruction.segmentOverride = prefixes.segment
        let repeats = prefixes.repeatByte == 0xF3
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

        if prefixes.operandSize && Self.isShortOrNearBranch(opcode, second),
           let index = instruction.operands.firstIndex(where: { $0.immediate != nil }),
           let target = instruction.operands[index].immediate {
            let truncated = target & 0xFFFF
            instruction.operands[index].kind = .immediate(truncated)
            instruction.operandText = Self.capstoneNumber(truncated)
        }
        if Self.isString(opcode) {
            // The repeat prefix as it acts (Capstone 4 drops f2 on movs, stos, lods, ins, outs, where it repeats as f3 does).
            var words = instruction.syntaxMnemonic.split(separator: " ").map(String.init)
            words.removeAll { ["rep", "repe", "repne", "repz", "repnz"].contains($0) }
            if let repeatByte = prefixes.repeatByte {
                let compares = opcode == 0xA6 || opcode == 0xA7 || opcode == 0xAE || opcode == 0xAF
                words.insert(repeatByte == 0xF2 ? "repne" : compares ? "repe" : "rep", at: 0)
            }
            instruction.syntaxMnemonic = words.joined(separator: " ")
        }
        // Hints for extensions the P6 lacks (HLE, MPX) name prefixes it ignores; lock as decoded.
        var words = instruction.syntaxMnemonic.split(separator: " ").map(String.init)
        words.removeAll { ["xacquire", "xrelease", "bnd", "lock"].contains($0) }
        if prefixes.lock { words.insert("lock", at: 0) }
        instruction.syntaxMnemonic = words.joined(separator: " ")
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

    /// jcc, jmp and call with a relative target, loop/loope/loopne/jecxz.
    private static func isShortOrNearBranch(_ opcode: UInt8, _ second: UInt8) -> Bool {
        (0x70...0x7F).contains(opcode) || (0xE0...0xE3).contains(opcode) || (0xE8...0xEB).contains(opcode) && opcode != 0xEA
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

    /// One prefix of each kind, in an order Capstone 4 decodes right: lock,
    /// segment, repeat, then the operand- and address-size prefixes (the
    /// address size last for loop and jecxz, which Capstone names by it).
    func canonicalBytes(addressSizeLast: Bool) -> [UInt8] {
        var bytes: [UInt8] = []
        if lock { bytes.append(0xF0) }
        if let segment {
            let codes: [X86Register: UInt8] = [.es: 0x26, .cs: 0x2E, .ss: 0x36, .ds: 0x3E, .fs: 0x64, .gs: 0x65]
            bytes.append(codes[segment] ?? 0x3E)
        }
        if let repeatByte { bytes.append(repeatByte) }
        let sizes: [UInt8] = (addressSize ? [0x67] : []) + (operandSize ? [0x66] : [])
        bytes += addressSizeLast ? sizes.reversed() : sizes
        return bytes
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
