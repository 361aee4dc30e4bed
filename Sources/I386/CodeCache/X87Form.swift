/// Which x87 instruction an `.x87` op is: its operation, its operands
/// (register, memory format, constant) and whether it pops, decided once by
/// the translator from the escape opcode (D8–DF) and ModR/M byte, or from
/// fxsave/fxrstor. The op keeps it in `Op.specialRegister`, the opcode the
/// FPU records in `Op.x87Opcode`, and ST(i) is that opcode's low 3 bits.
///
/// Register-form names say what is computed, as the SDM's mnemonics do:
/// `fsubSTi` is ST(i) ← ST(i) − ST(0) (DC E8+i), `fsubrSTi` ST(i) ← ST(0) −
/// ST(i) (DC E0+i). The six arithmetic operations of a group are
/// consecutive, in `X87Arithmetic.allCases` order.
enum X87Form: UInt8, CaseIterable {
    // ST(0) ← ST(0) op ST(i): D8 C0–FF.
    case faddST0, fmulST0, fsubST0, fsubrST0, fdivST0, fdivrST0
    // ST(i) ← ST(i) op ST(0): DC C0–FF.
    case faddSTi, fmulSTi, fsubSTi, fsubrSTi, fdivSTi, fdivrSTi
    // The same, then pop: DE C0–FF.
    case faddp, fmulp, fsubp, fsubrp, fdivp, fdivrp
    // ST(0) ← ST(0) op memory: D8 (m32fp), DC (m64fp), DE (m16int), DA (m32int).
    case faddM32fp, fmulM32fp, fsubM32fp, fsubrM32fp, fdivM32fp, fdivrM32fp
    case faddM64fp, fmulM64fp, fsubM64fp, fsubrM64fp, fdivM64fp, fdivrM64fp
    case fiaddM16, fimulM16, fisubM16, fisubrM16, fidivM16, fidivrM16
    case fiaddM32, fimulM32, fisubM32, fisubrM32, fidivM32, fidivrM32

    // Comparisons.
    case fcomSTi, fcompSTi, fcompp, fucomSTi, fucompSTi, fucompp
    case fcomiSTi, fcomipSTi, fucomiSTi, fucomipSTi
    case fcomM32fp, fcompM32fp, fcomM64fp, fcompM64fp, ficomM16, ficompM16, ficomM32, ficompM32
    case ftst, fxam

    // Loads (pushes).
    case fldM32fp, fldM64fp, fldM80fp, fildM16, fildM32, fildM64, fbld, fldSTi
    case fld1, fldl2t, fldl2e, fldpi, fldlg2, fldln2, fldz

    // Stores.
    case fstM32fp, fstpM32fp, fstM64fp, fstpM64fp, fstpM80fp
    case fistM16, fistpM16, fistM32, fistpM32, fistpM64, fbstp
    case fstSTi, fstpSTi

    // The operand-less computing instructions.
    case fchs, fabs, fsqrt, frndint, f2xm1, fsin, fcos, fsincos, fptan, fxtract
    case fscale, fprem, fprem1, fpatan, fyl2x, fyl2xp1

    // Moves and stack control.
    case fxch, fcmov, ffree, ffreep, fincstp, fdecstp, fnop

    // Control instructions.
    case fninit, fnclex, fldcw, fnstcw, fnstswM16, fnstswAX, fnstenv, fldenv, fnsave, frstor, fxsave, fxrstor
    /// feni, fdisi (8087) and fsetpm (287): no-ops since the 387, and not waiting.
    case legacyNop

    /// The arithmetic operation of an arithmetic form.
    var arithmetic: X87Arithmetic {
        let offset = Int(rawValue &- X87Form.faddST0.rawValue) % 6
        switch offset {
        case 0: return .add
        case 1: return .multiply
        case 2: return .subtract
        case 3: return .subtractReversed
        case 4: return .divide
        default: return .divideReversed
        }
    }

    /// The memory operand's format, for the forms that have one (nil: no
    /// operand, or a control instruction's image).
    var memoryFormat: X87MemoryFormat? {
        switch self {
        case .faddM32fp, .fmulM32fp, .fsubM32fp, .fsubrM32fp, .fdivM32fp, .fdivrM32fp,
             .fcomM32fp, .fcompM32fp, .fldM32fp, .fstM32fp, .fstpM32fp:
            return .float32
        case .faddM64fp, .fmulM64fp, .fsubM64fp, .fsubrM64fp, .fdivM64fp, .fdivrM64fp,
             .fcomM64fp, .fcompM64fp, .fldM64fp, .fstM64fp, .fstpM64fp:
            return .float64
        case .fldM80fp, .fstpM80fp: return .float80
        case .fiaddM16, .fimulM16, .fisubM16, .fisubrM16, .fidivM16, .fidivrM16, .ficomM16, .ficompM16,
             .fildM16, .fistM16, .fistpM16:
            return .int16
        case .fiaddM32, .fimulM32, .fisubM32, .fisubrM32, .fidivM32, .fidivrM32, .ficomM32, .ficompM32,
             .fildM32, .fistM32, .fistpM32:
            return .int32
        case .fildM64, .fistpM64: return .int64
        case .fbld, .fbstp: return .packedBCD
        default: return nil
        }
    }

    /// True for the instructions that check for a pending unmasked exception
    /// first (#MF): all but fninit, fnclex, fnstcw, fnstsw, fnstenv, fnsave,
    /// fxsave, fxrstor and the legacy no-ops (measured on the host: fldcw,
    /// fldenv and frstor wait, fxsave and fxrstor do not).
    var waits: Bool {
        switch self {
        case .fninit, .fnclex, .fnstcw, .fnstswM16, .fnstswAX, .fnstenv, .fnsave, .fxsave, .fxrstor, .legacyNop:
            false
        default:
            true
        }
    }

    /// True for the forms that write memory: fst, fstp, fist, fistp and
    /// fbstp to memory, fnstcw, fnstsw m16, fnstenv, fnsave, fxsave.
    var storesToMemory: Bool {
        switch self {
        case .fstM32fp, .fstpM32fp, .fstM64fp, .fstpM64fp, .fstpM80fp,
             .fistM16, .fistpM16, .fistM32, .fistpM32, .fistpM64, .fbstp,
             .fnstcw, .fnstswM16, .fnstenv, .fnsave, .fxsave:
            true
        default:
            false
        }
    }

    /// True for the control instructions, which leave the last-instruction
    /// pointers and opcode (FIP, FCS, FOP, FDP, FDS) alone; every other x87
    /// instruction sets them (measured on the host).
    var isControl: Bool {
        switch self {
        case .fninit, .fnclex, .fldcw, .fnstcw, .fnstswM16, .fnstswAX, .fnstenv, .fldenv, .fnsave, .frstor,
             .fxsave, .fxrstor, .legacyNop:
            true
        default:
            false
        }
    }
}
