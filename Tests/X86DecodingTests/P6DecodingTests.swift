import Testing
import X86Decoding

/// `X86Decoder+P6.swift`: bytes the P6 decodes differently from Capstone 4,
/// and text that now says what executes. Each row: bytes, AT&T text, Intel text.
@Suite struct P6DecodingTests {
    static func decode(_ hex: String, syntax: AssemblySyntax = .att, at address: UInt32 = 0x0010_0000) throws -> DecodedInstruction {
        let bytes = hex.split(separator: " ").compactMap { UInt8($0, radix: 16) }
        // A decoder per call: decoders are not thread-safe and tests run in parallel.
        return try X86Decoder(syntax: syntax).decode(bytes + [0, 0, 0, 0, 0, 0, 0, 0], address: address)
    }

    @Test(arguments: [
        // 0x66 before the repeat prefix: Capstone 4 printed the 32-bit forms.
        ("66 f3 a5", "rep movsw (%esi), %es:(%edi)", "rep movsw word ptr es:[edi], word ptr [esi]"),
        ("66 f2 a5", "repne movsw (%esi), %es:(%edi)", "repne movsw word ptr es:[edi], word ptr [esi]"),
        ("66 f3 ab", "rep stosw %ax, %es:(%edi)", "rep stosw word ptr es:[edi], ax"),
        ("66 f3 ad", "rep lodsw (%esi), %ax", "rep lodsw ax, word ptr [esi]"),
        ("66 f3 af", "repe scasw %es:(%edi), %ax", "repe scasw ax, word ptr es:[edi]"),
        ("66 f3 a7", "repe cmpsw %es:(%edi), (%esi)", "repe cmpsw word ptr [esi], word ptr es:[edi]"),
        ("66 f3 6d", "rep insw %dx, %es:(%edi)", "rep insw word ptr es:[edi], dx"),
        ("66 f3 6f", "rep outsw (%esi), %dx", "rep outsw dx, word ptr [esi]"),
        ("f3 66 a5", "rep movsw (%esi), %es:(%edi)", "rep movsw word ptr es:[edi], word ptr [esi]"),
        ("66 67 f3 a5", "rep movsw (%si), %es:(%di)", "rep movsw word ptr es:[di], word ptr [si]"),
        // Prefixes whose effect Capstone 4 loses when another follows them.
        ("f2 a5", "repne movsl (%esi), %es:(%edi)", "repne movsd dword ptr es:[edi], dword ptr [esi]"),
        ("66 f3 50", "pushw %ax", "push ax"),
        ("66 f3 0f b6 c0", "movzbw %al, %ax", "movzx ax, al"),
        ("67 66 e3 10", "jcxz 0x14", "jcxz 0x14"),
        ("67 f3 e3 10", "jcxz 0x100014", "jcxz 0x100014"),
        ("66 26 eb 10", "jmp 0x14", "jmp 0x14"),
        ("66 67 e9 10 00", "jmp 0x15", "jmp 0x15"),
        ("f3 f0 01 00", "lock addl %eax, (%eax)", "lock add dword ptr [eax], eax"),
        ("f2 e8 00 00 00 00", "calll 0x100006", "call 0x100006"),
        // 0x66 on a relative branch: eip's upper half is cleared.
        ("66 eb 10", "jmp 0x13", "jmp 0x13"),
        ("66 74 00", "je 3", "je 3"),
        ("66 0f 84 00 01", "je 0x105", "je 0x105"),
        ("66 e2 fe", "loop 1", "loop 1"),
        ("66 e3 00", "jecxz 3", "jecxz 3"),
        // 0x67 on loop: cx counts.
        ("67 e2 00", "addr16 loop 0x100003", "addr16 loop 0x100003"),
        ("67 e0 00", "addr16 loopne 0x100003", "addr16 loopne 0x100003"),
        ("67 e3 00", "jcxz 0x100003", "jcxz 0x100003"),
        // 0x66 sizes Capstone left out.
        ("66 c8 08 00 00", "enterw $8, $0", "enterw 8, 0"),
        ("66 c9", "leavew", "leavew"),
        ("66 c3", "retw", "retw"),
        ("66 c2 04 00", "retw $4", "retw 4"),
        ("66 cb", "lretw", "retfw"),
        ("66 e8 00 00", "callw 4", "callw 4"),
        ("66 0f bf c0", "movsww %ax, %ax", "movsx ax, ax"),
        ("66 0f b7 00", "movzww (%eax), %ax", "movzx ax, word ptr [eax]"),
        ("66 0f c8", "bswap %ax", "bswap ax"),
        // xlat's table: its segment and bx or ebx.
        ("d7", "xlat %ds:(%ebx)", "xlat byte ptr ds:[ebx]"),
        ("67 d7", "xlat %ds:(%bx)", "xlat byte ptr ds:[bx]"),
        ("26 d7", "xlat %es:(%ebx)", "xlat byte ptr es:[ebx]"),
        // Encodings Capstone 4 decodes otherwise than a P6.
        ("0f b9 00", "ud1 (%eax), %eax", "ud1 eax, dword ptr [eax]"),
        ("0f b9 c8", "ud1 %eax, %ecx", "ud1 ecx, eax"),
        ("0f 1f c0", "nopl %eax", "nop eax"),
        ("66 0f 1f c3", "nopw %bx", "nop bx"),
        ("0f 18 c0", "nopl %eax", "nop eax"),
        ("0f 19 c1", "nopl %ecx", "nop ecx"),
        ("0f 1e c0", "nopl %eax", "nop eax"),
        ("f3 0f 1e fb", "nopl %ebx", "nop ebx"),
        ("0f 1a 00", "nopl (%eax)", "nop dword ptr [eax]"),
        ("0f 18 00", "prefetchnta (%eax)", "prefetchnta byte ptr [eax]"),
        ("f3 0f bd c0", "rep bsrl %eax, %eax", "rep bsr eax, eax"),
        ("f3 0f bc 08", "rep bsfl (%eax), %ecx", "rep bsf ecx, dword ptr [eax]"),
    ])
    func textSaysWhatExecutes(hex: String, att: String, intel: String) throws {
        #expect(try Self.decode(hex).text == att)
        #expect(try Self.decode(hex, syntax: .intel).text == intel)
    }

    @Test(arguments: ["66 f3 a5", "66 eb 10", "0f b9 44 24 08", "0f 1f 84 00 00 00 00 00", "f3 0f bd c0", "67 d7"])
    func correctionsKeepTheBytes(hex: String) throws {
        let bytes = hex.split(separator: " ").compactMap { UInt8($0, radix: 16) }
        #expect(try Self.decode(hex).bytes == bytes)
    }

    @Test func hintNOPsAreNOPsWhateverTheirModRM() throws {
        for second in UInt8(0x18)...0x1F {
            for modRM in [UInt8(0x00), 0x38, 0x44, 0x84, 0xC0, 0xFF] {
                let instruction = try Self.decode("0f \(String(second, radix: 16)) \(String(modRM, radix: 16))")
                #expect(instruction.mnemonic == .nop, "0f \(second) \(modRM)")
                let expected = modRM == 0x44 ? 5 : modRM == 0x84 ? 8 : 3  // SIB + disp8, SIB + disp32
                #expect(instruction.length == expected, "0f \(second) \(modRM)")
            }
        }
        // 16-bit addressing: disp16 at mod 00 r/m 110.
        #expect(try Self.decode("67 0f 1f 06 34 12").length == 6)
    }

    @Test func ud1TakesItsModRMAndUd0DoesNotOnAP6() throws {
        let ud1 = try Self.decode("0f b9 80 00 01 00 00")
        #expect(ud1.mnemonic == .ud1 && ud1.length == 7)
        let ud0 = try Self.decode("0f ff 80")
        #expect(ud0.mnemonic == .ud0 && ud0.length == 2)  // SDM: older processors decode UD0 without ModR/M
    }

    @Test func instructionsPastFifteenBytesAreTooLong() throws {
        let fourteen = [UInt8](repeating: 0x26, count: 14)
        #expect(try X86Decoder().decode(fourteen + [0x90], address: 0).length == 15)
        #expect(throws: DecodeError.tooLong(address: 0, bytes: fourteen + [0x26])) {
            try X86Decoder().decode(fourteen + [0x26, 0x90], address: 0)
        }
        let ten = [UInt8](repeating: 0x66, count: 10)  // add $imm16, %ax: 10 + 1 + 2 bytes fit
        #expect(try X86Decoder().decode(ten + [0x05, 0x01, 0x00, 0, 0], address: 0).length == 13)
        let eleven = [UInt8](repeating: 0x26, count: 11)  // add $imm32, %eax: 11 + 1 + 4 = 16 bytes
        #expect(throws: DecodeError.tooLong(address: 0, bytes: eleven + [0x05, 0, 0, 0])) {
            try X86Decoder().decode(eleven + [0x05, 0, 0, 0], address: 0)
        }
    }

    @Test func branchTargetOperandIsTruncatedWithTheText() throws {
        let instruction = try Self.decode("66 74 10", at: 0x0012_FFF0)
        #expect(instruction.operands.first?.immediate == 0x0003)  // (0x12fff3 + 0x10) & 0xffff
        #expect(instruction.text == "je 3")
    }

    @Test func bitScanWithRepeatIsBitScan() throws {
        let instruction = try Self.decode("f3 0f bd c8")
        #expect(instruction.mnemonic == .bsr)
        #expect(instruction.prefixes.contains(.rep))
        #expect(instruction.operands.map(\.register) == [.ecx, .eax])
    }
}
