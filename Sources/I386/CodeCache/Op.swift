/// One instruction in the interpreter's executable form: everything a handler
/// needs, decoded once from Capstone's view and kept in a block.
///
/// Operand locations: 0–7 name a general register (for 8-bit operands
/// 0–7 are al, cl, dl, bl, ah, ch, dh, bh), `Op.memory` the memory operand
/// described by base/index/scale/segment/displacement, `Op.immediate` the
/// immediate, `Op.none` nothing. 32 bytes: two ops per cache line.
struct Op {
    static let memory: UInt8 = 8
    static let immediate: UInt8 = 9
    static let none: UInt8 = 10
    /// Base or index slot meaning "no register" (`Machine.registers[8]` is always 0).
    static let noRegister: UInt8 = 8

    // Prefix bits.
    static let repPrefix: UInt8 = 1
    static let repnePrefix: UInt8 = 2
    static let addressSize16: UInt8 = 4
    static let lockPrefix: UInt8 = 8

    var kind: OpKind = .undecoded
    /// Operand size in bytes: 1, 2 or 4.
    var size: UInt8 = 4
    /// Instruction length in bytes.
    var length: UInt8 = 0
    var destination: UInt8 = Op.none
    var source: UInt8 = Op.none
    var base: UInt8 = Op.noRegister
    var index: UInt8 = Op.noRegister
    /// log2 of the index scale.
    var scaleShift: UInt8 = 0
    /// Segment register number (es=0, cs, ss, ds, fs, gs=5) for the memory operand.
    var segment: UInt8 = 3
    /// Repeat, address-size and lock prefixes.
    var prefixes: UInt8 = 0
    /// jcc, setcc, cmovcc: the condition code (the opcode's low nibble).
    var condition: UInt8 = 0
    /// movzx/movsx: the source operand's size in bytes.
    var sourceSize: UInt8 = 0
    /// shld/shrd: where the count is (cl, or `Op.immediate`).
    var countLocation: UInt8 = 0
    /// The segment, control or debug register an instruction names (mov to/from
    /// sreg/CRn/DRn, lds…lss, push/pop sreg), or the x87 instruction (`X87Form`).
    var specialRegister: UInt8 = 0
    /// x87 instructions: the 11-bit opcode the FPU records as FOP (the
    /// escape byte's low 3 bits, then the ModR/M byte); its low 3 bits are
    /// the i of a register form's ST(i). (Fills padding: `Op` stays 32 bytes.)
    var x87Opcode: UInt16 = 0
    /// The instruction's address (its eip).
    var address: UInt32 = 0
    var displacement: UInt32 = 0
    /// Immediate, or the branch target of a relative jump or call.
    var immediate: UInt32 = 0
    /// enter's nesting level; a direct far jump or call's selector; imul's
    /// "multiply by the immediate" flag (1).
    var immediate2: UInt32 = 0
}

/// What an `Op` does: one case per handler.
enum OpKind: UInt8 {
    case undecoded = 0
    /// A form the CPU rejects (ud2, lock where it is not allowed): #UD.
    case invalid
    /// Bytes Capstone could not decode: #UD, reporting up to 8 bytes from eip.
    case undecodable
    /// An instruction longer than 15 bytes (redundant prefixes): #GP(0).
    case tooLong
    /// An op of a block whose code was rewritten: the instruction is fetched again.
    case staleCode
    /// A stop address of the run (`until`, a snippet's end): the block there is this one op.
    case stop
    /// After a block's last op: the block ran to its end (not an instruction).
    case blockEnd

    // Data movement
    case mov, movzx, movsx, lea, xchg, xadd, cmpxchg, cmpxchg8b, bswap
    case cbw, cwd, lahf, sahf, xlat, setcc, cmovcc
    case movFromSegment, movToSegment
    // Arithmetic and logic
    case add, adc, sub, sbb, cmp, and, or, xor, test
    case inc, dec, neg, not
    case mul, imul1, imul2, imul3, div, idiv
    // Shifts and rotates
    case shl, shr, sar, rol, ror, rcl, rcr, shld, shrd
    // Bit operations
    case bt, bts, btr, btc, bsf, bsr
    // Stack
    case push, pop, pusha, popa, pushf, popf, pushSegment, popSegment, enter, leave
    // Control flow
    case jmp, jmpIndirect, call, callIndirect, ret, jcc, loop, loope, loopne, jecxz
    // Strings
    case movs, stos, lods, cmps, scas, ins, outs
    // BCD
    case daa, das, aaa, aas, aam, aad
    // Flags
    case clc, stc, cmc, cld, std, cli, sti
    // System and miscellaneous
    case nop, hlt, cpuid, rdtsc, int3, int, into, `in`, out
    case movToControl, movFromControl, movToDebug, movFromDebug, clts
    /// An x87 instruction (escape opcodes D8–DF, fxsave, fxrstor): `Op.specialRegister` is its `X87Form`.
    case x87
    /// wait/fwait.
    case wait

    // System architecture
    case lgdt, lidt, sgdt, sidt, lldt, sldt, ltr, str, loadFarPointer, bound
    case verr, verw, lar, lsl, arpl
    case jmpFar, callFar, retFar, iret
    case rdmsr, wrmsr, sysenter, sysexit, lmsw, smsw, invlpg, privilegedNop
    /// salc (D6, undocumented but executed by every Intel CPU): AL = CF ? 0xFF : 0.
    case salc
    /// int1/icebp (F1): #DB as a trap, delivered like a hardware exception.
    case int1
    /// rdpmc: a performance-monitoring counter (CPL 0 or CR4.PCE; ECX 0 or 1).
    case rdpmc

    // Specialised 32-bit forms of the hottest instructions (no prefixes):
    // R = register, I = immediate, M = memory. The translator picks them;
    // everything else goes through the generic handlers.
    case movRR, movRI, movRM, movMR, movMI
    case addRR, addRI, addRM, addMR, addMI
    case subRR, subRI, subRM, subMR, subMI
    case andRR, andRI, andRM, andMR, andMI
    case orRR, orRI, orRM, orMR, orMI
    case xorRR, xorRI, xorRM, xorMR, xorMI
    case cmpRR, cmpRI, cmpRM, cmpMR, cmpMI
    case testRR, testRI, testRM, testMR, testMI
    case incR, decR, pushR, popR, lea32, call32, ret32, jz, jnz
    case pushM, movzxByteRM, movzxWordRM, movzxByteRR, movzxWordRR
    case movsxByteRM, movsxWordRM, movsxByteRR, movsxWordRR, cmovRR, cmovRM

    /// True for instructions that need the exact time (they talk to devices
    /// or read the clock): they run as blocks of their own, so the instruction
    /// count is exact when they start.
    var needsExactTime: Bool {
        switch self {
        case .in, .out, .ins, .outs, .rdtsc, .rdmsr, .hlt: true
        default: false
        }
    }

    /// True for instructions after which a block ends: control transfers,
    /// anything that changes privilege, paging, IF/TF or the interrupt shadow,
    /// reads time or reaches a device, and `rep` strings (which the run loop
    /// may stop between iterations). See `Op.endsBlock` for the prefix rule.
    var endsBlock: Bool { Self.blockEnders[Int(rawValue)] }

    private static let blockEnders: [Bool] = {
        let enders: Set<OpKind> = [
            .undecoded, .invalid, .undecodable, .tooLong, .staleCode, .stop, .blockEnd,
            .jmp, .jmpIndirect, .call, .callIndirect, .ret, .jcc, .loop, .loope, .loopne, .jecxz,
            .ins, .outs, .sti,
            .hlt, .rdtsc, .int3, .int, .into, .in, .out, .movToControl, .movToDebug,
            .jmpFar, .callFar, .retFar, .iret, .rdmsr, .wrmsr, .sysenter, .sysexit, .lmsw, .invlpg, .int1,
            .call32, .ret32, .jz, .jnz,
        ]
        return (0...UInt8.max).map { raw in OpKind(rawValue: raw).map { enders.contains($0) } ?? true }
    }()
}

extension Op {
    /// True when a block must end after this op (its kind ends blocks, or it
    /// is a string instruction with a rep prefix).
    var endsBlock: Bool {
        if kind.endsBlock { return true }
        switch kind {
        case .movToSegment, .popSegment: return specialRegister == UInt8(SegmentName.ss.rawValue)  // the shadow
        default: return isRepeatedString
        }
    }

    /// True when this op runs as a block of its own (see `OpKind.needsExactTime`);
    /// `rep` strings too, since the run loop may stop them between iterations.
    var needsExactTime: Bool { kind.needsExactTime || isRepeatedString }

    /// A string instruction with a rep prefix.
    var isRepeatedString: Bool {
        switch kind {
        case .movs, .stos, .lods, .cmps, .scas: prefixes & (Op.repPrefix | Op.repnePrefix) != 0
        default: false
        }
    }
}
