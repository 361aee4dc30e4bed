@testable import I386
import Testing
import X86Decoding

/// The text kstep prints for an instruction (disasm, traces) must say what
/// the interpreter executes: across the prefix space (0x66, 0x67, rep and
/// repne, segment overrides, alone and in either order) for every
/// instruction whose size, address size or target a prefix changes, the
/// AT&T text's operand size, address size, repeat prefix and branch target
/// are compared with the translated `Op`.
@Suite struct DisassemblyAgreesWithExecutionTests {
    static let prefixSets: [[UInt8]] = [
        [], [0x66], [0x67], [0x66, 0x67], [0x67, 0x66], [0xF3], [0x66, 0xF3], [0xF3, 0x66], [0xF2], [0x66, 0xF2],
        [0xF2, 0x66], [0x67, 0xF3], [0xF3, 0x67], [0x66, 0x67, 0xF3], [0xF3, 0x67, 0x66], [0x26], [0x2E, 0x66],
        [0x64, 0x67], [0x66, 0x26, 0xF3], [0x66, 0x66],
    ]

    static let bases: [[UInt8]] = [
        [0xA4], [0xA5], [0xA6], [0xA7], [0xAA], [0xAB], [0xAC], [0xAD], [0xAE], [0xAF],  // strings
        [0x6C], [0x6D], [0x6E], [0x6F],
        [0xD7],                                                                        // xlat
        [0xE0, 0x10], [0xE1, 0x10], [0xE2, 0x10], [0xE3, 0x10],                        // loop*, jecxz
        [0xEB, 0x10], [0x74, 0x10], [0x0F, 0x84, 0x10, 0x00, 0x00, 0x00],              // jumps
        [0xE8, 0x10, 0x00, 0x00, 0x00], [0xE9, 0x10, 0x00, 0x00, 0x00],
        [0x06], [0x07], [0x0E], [0x16], [0x1E], [0x1F], [0x0F, 0xA0], [0x0F, 0xA1], [0x0F, 0xA8], [0x0F, 0xA9],
        [0x9C], [0x9D], [0xCF], [0x60], [0x61],                                        // flags, iret, pusha
        [0xC8, 0x08, 0x00, 0x01], [0xC9], [0xC3], [0xC2, 0x04, 0x00], [0xCB], [0xCA, 0x04, 0x00],
        [0x6A, 0x01], [0x68, 0x01, 0x00, 0x00, 0x00], [0x50], [0x58], [0xFF, 0x30], [0x8F, 0x00],
        [0xFF, 0xE0], [0xFF, 0xD0], [0xFF, 0x20], [0xFF, 0x10],
        [0x0F, 0xB6, 0xC0], [0x0F, 0xB7, 0xC0], [0x0F, 0xBE, 0x00], [0x0F, 0xBF, 0x00],  // movzx, movsx
        [0xE4, 0x10], [0xE5, 0x10], [0xEC], [0xED], [0xE6, 0x10], [0xE7, 0x10], [0xEE], [0xEF],  // in, out
    ]

    static let address: UInt32 = 0x0012_3400

    @Test func textAndOpAgreeAcrossThePrefixSpace() throws {
        let decoder = try X86Decoder(syntax: .att)
        var checked = 0
        var disagreements: [String] = []
        for prefixes in Self.prefixSets {
            for base in Self.bases {
                let bytes = prefixes + base
                guard let instruction = try? decoder.decode(bytes + [UInt8](repeating: 0, count: 8), address: Self.address)
                else { continue }
                let op = OpTranslator.translate(instruction)
                guard op.kind != .invalid else { continue }
                checked += 1
                let hex = bytes.map { String($0, radix: 16) }.joined(separator: " ")
                for problem in Self.disagreements(instruction, op) {
                    disagreements.append("\(hex): '\(instruction.text)' \(problem)")
                }
            }
        }
        #expect(checked > 1000)
        #expect(disagreements.isEmpty, "\(disagreements.count): \(disagreements.prefix(25).joined(separator: "; "))")
    }

    /// Where `instruction`'s text and `op` disagree.
    static func disagreements(_ instruction: DecodedInstruction, _ op: Op) -> [String] {
        var problems: [String] = []
        let words = instruction.syntaxMnemonic.split(separator: " ").map(String.init)
        let mnemonic = words.last ?? ""
        let text = instruction.operandText
        let addr16 = op.prefixes & Op.addressSize16 != 0
        func expectSize(_ shown: Int?, _ executed: Int, _ what: String = "size") {
            if let shown, shown != executed { problems.append("\(what): text \(shown), executed \(executed)") }
        }
        func suffixSize(_ word: String) -> Int? {
            switch word.last {
            case "b": 1
            case "w": 2
            case "l", "d": 4
            default: nil
            }
        }
        func shownTarget() -> UInt32? {
            text.hasPrefix("0x") ? UInt32(text.dropFirst(2), radix: 16) : UInt32(text)
        }
        switch op.kind {
        case .movs, .cmps, .stos, .lods, .scas, .ins, .outs:
            expectSize(suffixSize(mnemonic), Int(op.size))
            let repeats = op.prefixes & (Op.repPrefix | Op.repnePrefix) != 0
            if words.first?.hasPrefix("rep") != repeats { problems.append("repeat: text \(!repeats), executed \(repeats)") }
            if (text.contains("%si") || text.contains("%di")) != addr16 { problems.append("address size") }
        case .xlat:
            if text.contains("(%bx)") != addr16 { problems.append("address size") }
            let segments = ["es", "cs", "ss", "ds", "fs", "gs"]
            if !text.hasPrefix("%\(segments[Int(op.segment)]):") { problems.append("segment \(segments[Int(op.segment)])") }
        case .jecxz:
            if (mnemonic == "jcxz") != addr16 { problems.append("count register") }
            if shownTarget() != op.immediate { problems.append("target \(String(op.immediate, radix: 16))") }
        case .loop, .loope, .loopne:
            if words.contains("addr16") != addr16 { problems.append("count register") }
            if shownTarget() != op.immediate { problems.append("target \(String(op.immediate, radix: 16))") }
        case .jmp, .jcc, .jz, .jnz, .call, .call32:
            if shownTarget() != op.immediate { problems.append("target \(String(op.immediate, radix: 16))") }
            if op.kind == .call || op.kind == .call32 { expectSize(mnemonic == "callw" ? 2 : 4, Int(op.size)) }
        case .pushSegment, .popSegment, .pushf, .popf, .iret, .pusha, .popa, .enter, .leave, .ret, .ret32, .retFar,
             .push, .pushR, .pushM, .pop, .popR, .jmpIndirect, .callIndirect:
            expectSize(mnemonic.hasSuffix("w") ? 2 : 4, Int(op.size))
        case .movzx, .movsx, .movzxByteRR, .movzxWordRR, .movzxByteRM, .movzxWordRM,
             .movsxByteRR, .movsxWordRR, .movsxByteRM, .movsxWordRM:
            // movzbl: from a byte to a long.
            let letters = Array(mnemonic.dropFirst(4))
            if letters.count == 2 {
                expectSize(suffixSize(String(letters[0])), Int(op.sourceSize), "source size")
                expectSize(suffixSize(String(letters[1])), Int(op.size), "destination size")
            } else {
                problems.append("mnemonic \(mnemonic)")
            }
        case .in, .out:
            let shown = text.contains("%eax") ? 4 : text.contains("%ax") ? 2 : 1
            expectSize(shown, Int(op.size))
        default:
            problems.append("unexpected kind \(op.kind)")
        }
        return problems
    }

    @Test func theCheckSeesCapstoneFourOwnMistakes() throws {
        // What Capstone 4 printed for 66 f3 a5 disagrees with what executes: the check can fail.
        var instruction = try X86Decoder(syntax: .att).decode([0x66, 0xF3, 0xA5], address: 0)
        let op = OpTranslator.translate(instruction)
        #expect(Self.disagreements(instruction, op).isEmpty)
        instruction.syntaxMnemonic = "rep movsl"
        #expect(Self.disagreements(instruction, op) == ["size: text 4, executed 2"])
    }
}
