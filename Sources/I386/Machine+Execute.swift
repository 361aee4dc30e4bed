/// Dispatch: one case per `OpKind`, each calling its family's handler
/// (Semantics/*.swift). Returns false for hlt.
extension Machine {
    @inline(__always)
    func execute(_ op: Op) throws(CPUException) -> Bool {
        switch op.kind {
        case .mov: try mov(op)
        case .movzx: try movzx(op)
        case .movsx: try movsx(op)
        case .lea: lea(op)
        case .xchg: try xchg(op)
        case .xadd: try xadd(op)
        case .cmpxchg: try cmpxchg(op)
        case .cmpxchg8b: try cmpxchg8b(op)
        case .bswap: bswap(op)
        case .cbw: cbw(op)
        case .cwd: cwd(op)
        case .lahf: lahf()
        case .sahf: sahf()
        case .xlat: try xlat(op)
        case .setcc: try setcc(op)
        case .cmovcc: try cmovcc(op)
        case .movFromSegment: try movFromSegment(op)
        case .movToSegment: try movToSegment(op)

        case .add: try add(op)
        case .adc: try adc(op)
        case .sub: try sub(op)
        case .sbb: try sbb(op)
        case .cmp: try cmp(op)
        case .and, .or, .xor: try logic(op)
        case .test: try test(op)
        case .inc: try inc(op)
        case .dec: try dec(op)
        case .neg: try neg(op)
        case .not: try not(op)
        case .mul: try mul(op)
        case .imul1: try imul1(op)
        case .imul2: try imul2(op)
        case .div: try div(op)
        case .idiv: try idiv(op)

        case .shl, .shr, .sar: try shift(op)
        case .rol, .ror: try rotate(op)
        case .rcl, .rcr: try rotateThroughCarry(op)
        case .shld, .shrd: try doubleShift(op)

        case .bt, .bts, .btr, .btc: try bitTest(op)
        case .bsf, .bsr: try bitScan(op)

        case .push: try push(op)
        case .pop: try pop(op)
        case .pusha: try pusha(op)
        case .popa: try popa(op)
        case .pushf: try pushf(op)
        case .popf: try popf(op)
        case .pushSegment: try pushSegment(op)
        case .popSegment: try popSegment(op)
        case .enter: try enter(op)
        case .leave: try leave(op)

        case .jmp: nextEIP = op.immediate
        case .jmpIndirect: try jmpIndirect(op)
        case .call: try call(op)
        case .callIndirect: try callIndirect(op)
        case .ret: try ret(op)
        case .jcc: if condition(op.extra) { nextEIP = op.immediate }
        case .loop, .loope, .loopne, .jecxz: loop(op)

        case .movs: try movs(op)
        case .stos: try stos(op)
        case .lods: try lods(op)
        case .cmps: try cmps(op)
        case .scas: try scas(op)
        case .ins: try ins(op)
        case .outs: try outs(op)

        case .daa: daa()
        case .das: das()
        case .aaa: aaa()
        case .aas: aas()
        case .aam: try aam(op)
        case .aad: aad(op)

        case .clc: setFlags(0, mask: EFLAGS.cf)
        case .stc: setFlags(EFLAGS.cf, mask: EFLAGS.cf)
        case .cmc: setFlags(carryFlag ^ 1, mask: EFLAGS.cf)
        case .cld: storedFlags &= ~EFLAGS.df
        case .std: storedFlags |= EFLAGS.df
        case .cli: try cli()
        case .sti: try sti()

        case .nop: break
        case .hlt:
            try requirePrivilege()
            return false
        case .cpuid: cpuid()
        case .rdtsc: rdtsc()
        case .int3: throw .breakpoint
        case .int: throw .generalProtection(errorCode: op.immediate << 3 | 2)
        case .into: if overflowFlag { throw .overflow }
        case .in: try portIn(op)
        case .out: try portOut(op)
        case .movToControl: try movToControl(op)
        case .movFromControl: try movFromControl(op)
        case .movToDebug: try movToDebug(op)
        case .movFromDebug: try movFromDebug(op)
        case .clts:
            try requirePrivilege()
            cr0 &= ~UInt32(8)
        case .fpuOpaque, .wait, .ud2, .invalid, .unsupported, .undecoded:
            throw .invalidOpcode(bytes: instructionBytes(eip, length: Int(op.length)))
        }
        return true
    }
}
