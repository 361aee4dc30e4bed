/// Dispatch: one case per `OpKind`. Specialised forms are handled inline;
/// the rest call their family's handler (Semantics/*.swift).
extension Machine {
    /// Executes the op at `pointer`. Returns false when its block must end
    /// here (`blockExit` says why: hlt retired, or the op is stale code).
    @inline(__always)
    func execute(_ pointer: UnsafeMutablePointer<Op>) throws(CPUException) -> Bool {
        let p = UnsafePointer(pointer)
        switch pointer.pointee.kind {
        // Specialised forms.
        case .movRR: registers[Int(p.pointee.destination)] = registers[Int(p.pointee.source)]
        case .movRI: registers[Int(p.pointee.destination)] = p.pointee.immediate
        case .movRM: registers[Int(p.pointee.destination)] = try load32(try fastAddress(p))
        case .movMR: try store32(try fastAddress(p), registers[Int(p.pointee.source)])
        case .movMI:
            let value = p.pointee.immediate
            try store32(try fastAddress(p), value)
        case .addRR: fastALURegister(.add, p, source: registers[Int(p.pointee.source)])
        case .addRI: fastALURegister(.add, p, source: p.pointee.immediate)
        case .addRM: fastALURegister(.add, p, source: try load32(try fastAddress(p)))
        case .addMR: try fastALUMemory(.add, p)
        case .addMI: try fastALUMemory(.add, p, source: p.pointee.immediate)
        case .subRR: fastALURegister(.sub, p, source: registers[Int(p.pointee.source)])
        case .subRI: fastALURegister(.sub, p, source: p.pointee.immediate)
        case .subRM: fastALURegister(.sub, p, source: try load32(try fastAddress(p)))
        case .subMR: try fastALUMemory(.sub, p)
        case .subMI: try fastALUMemory(.sub, p, source: p.pointee.immediate)
        case .andRR: fastALURegister(.and, p, source: registers[Int(p.pointee.source)])
        case .andRI: fastALURegister(.and, p, source: p.pointee.immediate)
        case .andRM: fastALURegister(.and, p, source: try load32(try fastAddress(p)))
        case .andMR: try fastALUMemory(.and, p)
        case .andMI: try fastALUMemory(.and, p, source: p.pointee.immediate)
        case .orRR: fastALURegister(.or, p, source: registers[Int(p.pointee.source)])
        case .orRI: fastALURegister(.or, p, source: p.pointee.immediate)
        case .orRM: fastALURegister(.or, p, source: try load32(try fastAddress(p)))
        case .orMR: try fastALUMemory(.or, p)
        case .orMI: try fastALUMemory(.or, p, source: p.pointee.immediate)
        case .xorRR: fastALURegister(.xor, p, source: registers[Int(p.pointee.source)])
        case .xorRI: fastALURegister(.xor, p, source: p.pointee.immediate)
        case .xorRM: fastALURegister(.xor, p, source: try load32(try fastAddress(p)))
        case .xorMR: try fastALUMemory(.xor, p)
        case .xorMI: try fastALUMemory(.xor, p, source: p.pointee.immediate)
        case .cmpRR: fastALURegister(.cmp, p, source: registers[Int(p.pointee.source)])
        case .cmpRI: fastALURegister(.cmp, p, source: p.pointee.immediate)
        case .cmpRM: fastALURegister(.cmp, p, source: try load32(try fastAddress(p)))
        case .cmpMR: try fastALUMemory(.cmp, p)
        case .cmpMI: try fastALUMemory(.cmp, p, source: p.pointee.immediate)
        case .testRR: fastALURegister(.test, p, source: registers[Int(p.pointee.source)])
        case .testRI: fastALURegister(.test, p, source: p.pointee.immediate)
        case .testRM: fastALURegister(.test, p, source: try load32(try fastAddress(p)))
        case .testMR: try fastALUMemory(.test, p)
        case .testMI: try fastALUMemory(.test, p, source: p.pointee.immediate)
        case .incR:
            let number = Int(p.pointee.destination)
            let value = registers[number]
            registers[number] = value &+ 1
            setIncDecFlags(.inc, value, value &+ 1, size: 4)
        case .decR:
            let number = Int(p.pointee.destination)
            let value = registers[number]
            registers[number] = value &- 1
            setIncDecFlags(.dec, value, value &- 1, size: 4)
        case .pushR: try push32(registers[Int(p.pointee.source)])
        case .pushM: try push32(try load32(try fastAddress(p)))
        case .movzxByteRM: registers[Int(p.pointee.destination)] = UInt32(try load8(try fastAddress(p, size: 1)))
        case .movzxWordRM: registers[Int(p.pointee.destination)] = UInt32(try load16(try fastAddress(p, size: 2)))
        case .movzxByteRR: registers[Int(p.pointee.destination)] = register(p.pointee.source, size: 1)
        case .movzxWordRR: registers[Int(p.pointee.destination)] = registers[Int(p.pointee.source)] & 0xFFFF
        case .movsxByteRM:
            let byte = try load8(try fastAddress(p, size: 1))
            registers[Int(p.pointee.destination)] = UInt32(bitPattern: Int32(Int8(bitPattern: byte)))
        case .movsxWordRM:
            let word = try load16(try fastAddress(p, size: 2))
            registers[Int(p.pointee.destination)] = UInt32(bitPattern: Int32(Int16(bitPattern: word)))
        case .movsxByteRR: registers[Int(p.pointee.destination)] = signExtend(register(p.pointee.source, size: 1), size: 1)
        case .movsxWordRR: registers[Int(p.pointee.destination)] = signExtend(registers[Int(p.pointee.source)], size: 2)
        case .cmovRR:
            if condition(p.pointee.condition) { registers[Int(p.pointee.destination)] = registers[Int(p.pointee.source)] }
        case .cmovRM:
            let value = try load32(try fastAddress(p))  // read even when the condition is false
            if condition(p.pointee.condition) { registers[Int(p.pointee.destination)] = value }
        case .popR: registers[Int(p.pointee.destination)] = try pop32()
        case .lea32:
            registers[Int(p.pointee.destination)] = registers[Int(p.pointee.base)]
                &+ (registers[Int(p.pointee.index)] << UInt32(p.pointee.scaleShift)) &+ p.pointee.displacement
        case .call32:
            let target = p.pointee.immediate
            try push32(nextEIP)
            nextEIP = target
        case .ret32: nextEIP = try pop32()
        case .jcc: if condition(p.pointee.condition) { nextEIP = p.pointee.immediate }
        case .jmp: nextEIP = p.pointee.immediate
        case .jz: if isZero { nextEIP = p.pointee.immediate }
        case .jnz: if !isZero { nextEIP = p.pointee.immediate }

        // Generic handlers.
        case .mov: try mov(p)
        case .movzx: try movzx(p)
        case .movsx: try movsx(p)
        case .lea: lea(p)
        case .xchg: try xchg(p)
        case .xadd: try xadd(p)
        case .cmpxchg: try cmpxchg(p)
        case .cmpxchg8b: try cmpxchg8b(p)
        case .bswap: bswap(p)
        case .cbw: cbw(p)
        case .cwd: cwd(p)
        case .lahf: lahf()
        case .sahf: sahf()
        case .xlat: try xlat(p)
        case .setcc: try setcc(p)
        case .cmovcc: try cmovcc(p)
        case .movFromSegment: try movFromSegment(p)
        case .movToSegment: try movToSegment(p)

        case .add: try add(p)
        case .adc: try adc(p)
        case .sub: try sub(p)
        case .sbb: try sbb(p)
        case .cmp: try cmp(p)
        case .and, .or, .xor: try logic(p)
        case .test: try test(p)
        case .inc: try inc(p)
        case .dec: try dec(p)
        case .neg: try neg(p)
        case .not: try not(p)
        case .mul: try mul(p)
        case .imul1: try imul1(p)
        case .imul2, .imul3: try imul2(p)
        case .div: try div(p)
        case .idiv: try idiv(p)

        case .shl, .shr, .sar: try shift(p)
        case .rol, .ror: try rotate(p)
        case .rcl, .rcr: try rotateThroughCarry(p)
        case .shld, .shrd: try doubleShift(p)

        case .bt, .bts, .btr, .btc: try bitTest(p)
        case .bsf, .bsr: try bitScan(p)

        case .push: try push(p)
        case .pop: try pop(p)
        case .pusha: try pusha(p)
        case .popa: try popa(p)
        case .pushf: try pushf(p)
        case .popf: return try popf(p)
        case .pushSegment: try pushSegment(p)
        case .popSegment: try popSegment(p)
        case .enter: try enter(p)
        case .leave: try leave(p)

        case .jmpIndirect: try jmpIndirect(p)
        case .call: try call(p)
        case .callIndirect: try callIndirect(p)
        case .ret: try ret(p)
        case .loop, .loope, .loopne, .jecxz: loop(p)

        case .movs: return try movs(p)
        case .stos: return try stos(p)
        case .lods: return try lods(p)
        case .cmps: return try cmps(p)
        case .scas: return try scas(p)
        case .ins: return try ins(p)
        case .outs: return try outs(p)

        case .daa: daa()
        case .das: das()
        case .aaa: aaa()
        case .aas: aas()
        case .aam: try aam(p)
        case .aad: aad(p)

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
            blockExit = .halted
            return false
        case .staleCode:
            blockExit = .notRetired
            return false
        case .stop:
            blockExit = .stop
            return false
        case .blockEnd: return false  // blockExit stays .none
        case .cpuid: cpuid()
        case .rdtsc: try rdtsc()
        case .int3: try softwareInterrupt(3, fallback: .breakpoint)
        case .int:
            let vector = p.pointee.immediate
            try softwareInterrupt(Int(vector), fallback: .generalProtection(errorCode: vector << 3 | 2))
        case .into: if overflowFlag { try softwareInterrupt(4, fallback: .overflow) }
        case .in: try portIn(p)
        case .out: try portOut(p)
        case .movToControl: try movToControl(p)
        case .movFromControl: try movFromControl(p)
        case .movToDebug: try movToDebug(p)
        case .movFromDebug: try movFromDebug(p)
        case .clts:
            try requirePrivilege()
            setControlRegister(0, state.pointee.cr0 & ~CR0.ts)
        case .x87: try x87(p)
        case .wait: try fwait()
        case .lgdt, .lidt: try loadTableRegister(p)
        case .sgdt, .sidt: try storeTableRegister(p)
        case .sldt, .str: try storeSystemSelector(p)
        case .lldt: try lldt(p)
        case .ltr: try ltr(p)
        case .loadFarPointer: try loadFarPointer(p)
        case .bound: try bound(p)
        case .verr, .verw: try verify(p)
        case .lar, .lsl: try loadDescriptorField(p)
        case .arpl: try arpl(p)
        case .jmpFar: try jmpFar(p)
        case .callFar: try callFar(p)
        case .retFar: try retFar(p)
        case .iret: try iret(p)
        case .rdmsr: try rdmsr()
        case .wrmsr: try wrmsr()
        case .sysenter: try sysenter()
        case .sysexit: try sysexit()
        case .lmsw: try lmsw(p)
        case .smsw: try smsw(p)
        case .invlpg: try invlpg(p)
        case .privilegedNop: try requirePrivilege()
        case .salc: salc()
        case .int1: try debugInterrupt()
        case .rdpmc: try rdpmc()
        case .invalid, .undecoded:
            throw .invalidOpcode(bytes: instructionBytes(p.pointee.address, length: Int(p.pointee.length)))
        case .undecodable:
            throw .invalidOpcode(bytes: instructionBytes(p.pointee.address, length: 8))
        case .tooLong:
            throw .generalProtection(errorCode: 0)
        }
        return true
    }
}
