import X86Decoding

/// x87 instructions: the form comes from the escape opcode (D8–DF) and the
/// ModR/M byte, read from the instruction's bytes, so Capstone's names for
/// the undocumented aliases (fstp1, fcom2, fxch4, …) and its AT&T operand
/// order for fsub/fsubr and fdiv/fdivr cannot blur what is executed. Only the
/// memory operand's address comes from Capstone's operands.
///
/// The encodings follow the SDM's opcode map (Vol. 2 Tables ),
/// with the aliases a P6 executes: D9 D8+i (fstp), DC D0+i (fcom), DC D8+i
/// (fcomp), DD C8+i (fxch), DE D0+i (fcomp), DF C0+i (ffreep), DF C8+i
/// (fxch), DF D0+i and DF D8+i (fstp); and feni, fdisi, fsetpm (DB E0, E1,
/// E4) as no-ops. fisttp (DB /1, DD /1, DF /1) is SSE3 and every other slot
/// is reserved: #UD.
extension OpTranslator {
    /// The x87 op for `instruction`, or nil when it is not an escape opcode.
    static func translateX87(_ instruction: DecodedInstruction, _ op: Op) -> Op? {
        guard let (escape, modRM) = x87Encoding(instruction.bytes) else { return nil }
        var op = op
        op.kind = .x87
        op.x87Opcode = UInt16(escape & 7) << 8 | UInt16(modRM)
        op.size = instruction.prefixes.contains(.operandSize) ? 2 : 4
        let form: X87Form?
        if modRM >> 6 == 3 {
            form = registerForm(escape: escape, modRM: modRM)
            if escape == 0xDA || escape == 0xDB, modRM < 0xE0 {
                // fcmovcc: the condition code as jcc numbers it (b, e, be, p; then negated).
                op.condition = [2, 4, 6, 10][Int((modRM >> 3) & 3)] | (escape == 0xDB ? 1 : 0)
            }
        } else {
            guard let memory = instruction.operands.first(where: { $0.memory != nil }),
                  place(memory, into: &op) == Op.memory else { return invalid(op) }
            op.source = Op.memory
            form = memoryForm(escape: escape, reg: (modRM >> 3) & 7)
        }
        guard let form else { return invalid(op) }
        op.specialRegister = form.rawValue
        return op
    }

    /// fxsave and fxrstor (0F AE /0 and /1).
    static func translateFXSR(_ instruction: DecodedInstruction, _ op: Op) -> Op {
        var op = op
        guard let memory = instruction.operands.first(where: { $0.memory != nil }),
              place(memory, into: &op) == Op.memory else { return invalid(op) }
        op.kind = .x87
        op.source = Op.memory
        op.specialRegister = (instruction.mnemonic == .fxsave ? X87Form.fxsave : .fxrstor).rawValue
        return op
    }

    /// The escape byte and the ModR/M byte after the legacy prefixes, when
    /// the opcode is D8–DF.
    static func x87Encoding(_ bytes: [UInt8]) -> (escape: UInt8, modRM: UInt8)? {
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case 0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65, 0x66, 0x67, 0xF0, 0xF2, 0xF3: index += 1
            default:
                guard index + 1 < bytes.count, (0xD8...0xDF).contains(bytes[index]) else { return nil }
                return (bytes[index], bytes[index + 1])
            }
        }
        return nil
    }

    private static func invalid(_ op: Op) -> Op {
        var result = op
        result.kind = .invalid
        return result
    }

    /// ModR/M with a memory operand: the form by escape and reg field.
    static func memoryForm(escape: UInt8, reg: UInt8) -> X87Form? {
        let r = Int(reg & 7)
        func arithmetic(_ add: X87Form, compare: X87Form, comparePop: X87Form) -> X87Form? {
            // reg: 0 add, 1 mul, 2 com, 3 comp, 4 sub, 5 subr, 6 div, 7 divr
            switch r {
            case 2: return compare
            case 3: return comparePop
            default: return X87Form(rawValue: add.rawValue &+ UInt8(r < 2 ? r : r - 2))
            }
        }
        switch escape {
        case 0xD8: return arithmetic(.faddM32fp, compare: .fcomM32fp, comparePop: .fcompM32fp)
        case 0xDA: return arithmetic(.fiaddM32, compare: .ficomM32, comparePop: .ficompM32)
        case 0xDC: return arithmetic(.faddM64fp, compare: .fcomM64fp, comparePop: .fcompM64fp)
        case 0xDE: return arithmetic(.fiaddM16, compare: .ficomM16, comparePop: .ficompM16)
        case 0xD9: return [.fldM32fp, nil, .fstM32fp, .fstpM32fp, .fldenv, .fldcw, .fnstenv, .fnstcw][r]
        case 0xDB: return [.fildM32, nil, .fistM32, .fistpM32, nil, .fldM80fp, nil, .fstpM80fp][r]
        case 0xDD: return [.fldM64fp, nil, .fstM64fp, .fstpM64fp, .frstor, nil, .fnsave, .fnstswM16][r]
        default: return [.fildM16, nil, .fistM16, .fistpM16, .fbld, .fildM64, .fbstp, .fistpM64][r]
        }
    }

    /// ModR/M C0–FF: the form by escape and the whole byte.
    static func registerForm(escape: UInt8, modRM: UInt8) -> X87Form? {
        let r = Int((modRM >> 3) & 7)
        let low = Int(modRM & 7)
        // DC and DE: reg 4 is subr, 5 sub, 6 divr, 7 div (the reverse of D8).
        let dcOrder: [UInt8] = [0, 1, 0, 0, 3, 2, 5, 4]
        switch escape {
        case 0xD8:
            switch r {
            case 2: return .fcomSTi
            case 3: return .fcompSTi
            default: return X87Form(rawValue: X87Form.faddST0.rawValue &+ UInt8(r < 2 ? r : r - 2))
            }
        case 0xD9:
            switch r {
            case 0: return .fldSTi
            case 1: return .fxch
            case 2: return low == 0 ? .fnop : nil
            case 3: return .fstpSTi
            case 4: return [.fchs, .fabs, nil, nil, .ftst, .fxam, nil, nil][low]
            case 5: return [.fld1, .fldl2t, .fldl2e, .fldpi, .fldlg2, .fldln2, .fldz, nil][low]
            case 6: return [.f2xm1, .fyl2x, .fptan, .fpatan, .fxtract, .fprem1, .fdecstp, .fincstp][low]
            default: return [.fprem, .fyl2xp1, .fsqrt, .fsincos, .frndint, .fscale, .fsin, .fcos][low]
            }
        case 0xDA:
            if r < 4 { return .fcmov }
            return modRM == 0xE9 ? .fucompp : nil
        case 0xDB:
            switch r {
            case 0...3: return .fcmov
            case 4: return [.legacyNop, .legacyNop, .fnclex, .fninit, .legacyNop, nil, nil, nil][low]
            case 5: return .fucomiSTi
            case 6: return .fcomiSTi
            default: return nil
            }
        case 0xDC:
            switch r {
            case 2: return .fcomSTi
            case 3: return .fcompSTi
            default: return X87Form(rawValue: X87Form.faddSTi.rawValue &+ dcOrder[r])
            }
        case 0xDD:
            return [.ffree, .fxch, .fstSTi, .fstpSTi, .fucomSTi, .fucompSTi, nil, nil][r]
        case 0xDE:
            switch r {
            case 2: return .fcompSTi
            case 3: return modRM == 0xD9 ? .fcompp : nil
            default: return X87Form(rawValue: X87Form.faddp.rawValue &+ dcOrder[r])
            }
        default:
            switch r {
            case 0: return .ffreep
            case 1: return .fxch
            case 2, 3: return .fstpSTi
            case 4: return modRM == 0xE0 ? .fnstswAX : nil
            case 5: return .fucomipSTi
            case 6: return .fcomipSTi
            default: return nil
            }
        }
    }
}
