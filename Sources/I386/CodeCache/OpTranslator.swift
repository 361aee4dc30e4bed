import X86Decoding

/// Turns a `DecodedInstruction` into the interpreter's `Op`, once per address.
enum OpTranslator {
    /// Condition codes by suffix, in opcode order (jo = 0 … jg = 15).
    private static let conditionSuffixes = ["o", "no", "b", "ae", "e", "ne", "be", "a",
                                            "s", "ns", "p", "np", "l", "ge", "le", "g"]

    /// Instructions that accept a lock prefix (with a memory destination).
    private static let lockable: Set<X86Mnemonic> = [.add, .adc, .and, .btc, .btr, .bts, .cmpxchg, .cmpxchg8b,
                                                     .dec, .inc, .neg, .not, .or, .sbb, .sub, .xor, .xadd, .xchg]

    static func translate(_ instruction: DecodedInstruction) -> Op {
        var op = translateGeneric(instruction)
        op.address = instruction.address
        specialize(&op)
        return op
    }

    /// Picks a specialised kind for 32-bit register/immediate/memory forms.
    private static func specialize(_ op: inout Op) {
        if op.kind == .jcc && (op.condition == 4 || op.condition == 5) { op.kind = op.condition == 4 ? .jz : .jnz }
        guard op.size == 4, op.prefixes & (Op.addressSize16 | Op.lockPrefix) == 0 else { return }
        func form(_ destination: UInt8, _ source: UInt8) -> Int? {
            switch (destination, source) {
            case (0..<8, 0..<8): 0        // R, R
            case (0..<8, Op.immediate): 1 // R, I
            case (0..<8, Op.memory): 2    // R, M
            case (Op.memory, 0..<8): 3    // M, R
            case (Op.memory, Op.immediate): 4  // M, I
            default: nil
            }
        }
        let families: [OpKind: [OpKind]] = [
            .add: [.addRR, .addRI, .addRM, .addMR, .addMI], .sub: [.subRR, .subRI, .subRM, .subMR, .subMI],
            .and: [.andRR, .andRI, .andRM, .andMR, .andMI], .or: [.orRR, .orRI, .orRM, .orMR, .orMI],
            .xor: [.xorRR, .xorRI, .xorRM, .xorMR, .xorMI], .cmp: [.cmpRR, .cmpRI, .cmpRM, .cmpMR, .cmpMI],
            .test: [.testRR, .testRI, .testRM, .testMR, .testMI],
        ]
        switch op.kind {
        case .mov:
            if let index = form(op.destination, op.source) {
                op.kind = [.movRR, .movRI, .movRM, .movMR, .movMI][index]
            }
        case .add, .sub, .and, .or, .xor, .cmp, .test:
            if let index = form(op.destination, op.source), let kinds = families[op.kind] { op.kind = kinds[index] }
        case .inc where op.destination < 8: op.kind = .incR
        case .dec where op.destination < 8: op.kind = .decR
        case .push where op.source < 8: op.kind = .pushR
        case .push where op.source == Op.memory: op.kind = .pushM
        case .movzx where op.destination < 8 && op.source == Op.memory:
            op.kind = op.sourceSize == 1 ? .movzxByteRM : .movzxWordRM
        case .movzx where op.destination < 8 && op.source < 8:
            op.kind = op.sourceSize == 1 ? .movzxByteRR : .movzxWordRR
        case .movsx where op.destination < 8 && op.source == Op.memory:
            op.kind = op.sourceSize == 1 ? .movsxByteRM : .movsxWordRM
        case .movsx where op.destination < 8 && op.source < 8:
            op.kind = op.sourceSize == 1 ? .movsxByteRR : .movsxWordRR
        case .cmovcc where op.destination < 8 && op.source < 8: op.kind = .cmovRR
        case .cmovcc where op.destination < 8 && op.source == Op.memory: op.kind = .cmovRM
        case .pop where op.destination < 8 && op.destination != 4: op.kind = .popR
        case .lea: op.kind = .lea32
        case .call: op.kind = .call32
        case .ret where op.immediate == 0: op.kind = .ret32
        default: break
        }
    }

    private static func translateGeneric(_ instruction: DecodedInstruction) -> Op {
        var op = Op()
        op.length = UInt8(truncatingIfNeeded: instruction.length)
        let prefixes = instruction.prefixes
        if prefixes.contains(.rep) { op.prefixes |= Op.repPrefix }
        if prefixes.contains(.repne) { op.prefixes |= Op.repnePrefix }
        if prefixes.contains(.addressSize) { op.prefixes |= Op.addressSize16 }
        if prefixes.contains(.lock) { op.prefixes |= Op.lockPrefix }
        let operands = instruction.operands
        let operandSize: UInt8 = prefixes.contains(.operandSize) ? 2 : 4
        op.size = UInt8(operands.first.map { max(1, min($0.size, 4)) } ?? Int(operandSize))
        op.segment = UInt8(instruction.segmentOverride?.number ?? 3)

        if prefixes.contains(.lock) {
            let memoryDestination = operands.first?.memory != nil
            guard lockable.contains(instruction.mnemonic), memoryDestination else {
                op.kind = .invalid
                return op
            }
        }

        // The escape opcodes D8–DF (OpTranslator+X87.swift).
        if let x87 = translateX87(instruction, op) { return x87 }

        func destination(_ index: Int = 0) -> Bool {
            guard index < operands.count, let location = place(operands[index], into: &op) else { return false }
            op.destination = location
            return true
        }
        func source(_ index: Int = 1) -> Bool {
            guard index < operands.count, let location = place(operands[index], into: &op) else { return false }
            op.source = location
            return true
        }
        func binary(_ kind: OpKind) -> Op {
            guard destination(), source() else { return undefinedOpcode(op) }
            op.kind = kind
            if op.source == Op.immediate { op.immediate &= sizeMask(Int(op.size)) }
            return op
        }
        func unary(_ kind: OpKind) -> Op {
            guard destination() else { return undefinedOpcode(op) }
            op.kind = kind
            return op
        }
        func simple(_ kind: OpKind, size: UInt8? = nil) -> Op {
            op.kind = kind
            if let size { op.size = size }
            return op
        }
        func condition(_ prefix: String) -> UInt8? {
            let suffix = instruction.name.dropFirst(prefix.count)
            return conditionSuffixes.firstIndex(of: String(suffix)).map { UInt8($0) }
        }
        func stringSize() -> UInt8 {
            let last = instruction.opcode.last ?? 0
            return last & 1 == 0 ? 1 : operandSize
        }

        switch instruction.mnemonic {
        case .mov:
            guard operands.count == 2 else { return undefinedOpcode(op) }
            if let register = operands[0].register, register.isSegment {
                guard source() else { return undefinedOpcode(op) }
                op.specialRegister = UInt8(register.number ?? 0)
                op.size = 2
                return simple(.movToSegment)
            }
            if let register = operands[1].register, register.isSegment {
                guard destination() else { return undefinedOpcode(op) }
                op.specialRegister = UInt8(register.number ?? 0)
                op.size = UInt8(operands[0].size)
                return simple(.movFromSegment)
            }
            if let register = operands[0].register, let number = register.number, register >= .cr0 {
                guard let source = operands[1].register?.number else { return undefinedOpcode(op) }
                op.specialRegister = UInt8(number)
                op.source = UInt8(source)
                return simple(register <= .cr7 ? .movToControl : .movToDebug, size: 4)
            }
            if let register = operands[1].register, let number = register.number, register >= .cr0 {
                guard let target = operands[0].register?.number else { return undefinedOpcode(op) }
                op.specialRegister = UInt8(number)
                op.destination = UInt8(target)
                return simple(register <= .cr7 ? .movFromControl : .movFromDebug, size: 4)
            }
            return binary(.mov)
        case .movzx, .movsx:
            guard destination(), source() else { return undefinedOpcode(op) }
            op.sourceSize = UInt8(operands[1].size)
            return simple(instruction.mnemonic == .movzx ? .movzx : .movsx)
        case .lea:
            guard destination(), source() else { return undefinedOpcode(op) }
            return simple(.lea)
        case .xchg: return binary(.xchg)
        case .xadd: return binary(.xadd)
        case .cmpxchg: return binary(.cmpxchg)
        case .cmpxchg8b:
            guard destination() else { return undefinedOpcode(op) }
            return simple(.cmpxchg8b, size: 4)
        case .bswap: return unary(.bswap)
        case .cbw: return simple(.cbw, size: 2)
        case .cwde: return simple(.cbw, size: 4)
        case .cwd: return simple(.cwd, size: 2)
        case .cdq: return simple(.cwd, size: 4)
        case .lahf: return simple(.lahf)
        case .sahf: return simple(.sahf)
        case .xlatb: return simple(.xlat, size: 1)

        case .add: return binary(.add)
        case .adc: return binary(.adc)
        case .sub: return binary(.sub)
        case .sbb: return binary(.sbb)
        case .cmp: return binary(.cmp)
        case .and: return binary(.and)
        case .or: return binary(.or)
        case .xor: return binary(.xor)
        case .test: return binary(.test)
        case .inc: return unary(.inc)
        case .dec: return unary(.dec)
        case .neg: return unary(.neg)
        case .not: return unary(.not)
        case .mul, .div, .idiv:
            guard operands.count == 1, source(0) else { return undefinedOpcode(op) }
            let kinds: [X86Mnemonic: OpKind] = [.mul: .mul, .div: .div, .idiv: .idiv]
            return simple(kinds[instruction.mnemonic] ?? .mul)
        case .imul:
            switch operands.count {
            case 1:
                guard source(0) else { return undefinedOpcode(op) }
                return simple(.imul1)
            case 2:
                return binary(.imul2)
            default:
                guard destination(), source(), let value = operands[2].immediate else { return undefinedOpcode(op) }
                op.immediate = UInt32(truncatingIfNeeded: value) & sizeMask(Int(op.size))
                return simple(.imul3)
            }

        case .shl, .sal, .shr, .sar, .rol, .ror, .rcl, .rcr:
            guard destination() else { return undefinedOpcode(op) }
            if operands.count < 2 {
                op.source = Op.immediate
                op.immediate = 1
            } else if let register = operands[1].register {
                op.source = UInt8(register.number ?? 1)
            } else if let count = operands[1].immediate {
                op.source = Op.immediate
                op.immediate = UInt32(truncatingIfNeeded: count) & 0xFF
            }
            let kinds: [X86Mnemonic: OpKind] = [.shl: .shl, .sal: .shl, .shr: .shr, .sar: .sar,
                                                .rol: .rol, .ror: .ror, .rcl: .rcl, .rcr: .rcr]
            return simple(kinds[instruction.mnemonic] ?? .shl)
        case .shld, .shrd:
            guard operands.count == 3, destination(), source() else { return undefinedOpcode(op) }
            if let register = operands[2].register {
                op.countLocation = UInt8(register.number ?? 1)
            } else if let count = operands[2].immediate {
                op.countLocation = Op.immediate
                op.immediate = UInt32(truncatingIfNeeded: count) & 0xFF
            }
            return simple(instruction.mnemonic == .shld ? .shld : .shrd)

        case .bt: return binary(.bt)
        case .bts: return binary(.bts)
        case .btr: return binary(.btr)
        case .btc: return binary(.btc)
        case .bsf: return binary(.bsf)
        case .bsr: return binary(.bsr)

        case .push:
            guard operands.count == 1 else { return undefinedOpcode(op) }
            if let register = operands[0].register, register.isSegment {
                op.specialRegister = UInt8(register.number ?? 0)
                return simple(.pushSegment, size: operandSize)
            }
            guard source(0) else { return undefinedOpcode(op) }
            if op.source == Op.immediate { op.size = operandSize }
            return simple(.push)
        case .pop:
            guard operands.count == 1 else { return undefinedOpcode(op) }
            if let register = operands[0].register, register.isSegment {
                op.specialRegister = UInt8(register.number ?? 0)
                return simple(.popSegment, size: operandSize)
            }
            return unary(.pop)
        case .pushal: return simple(.pusha, size: 4)
        case .pushaw: return simple(.pusha, size: 2)
        case .popal: return simple(.popa, size: 4)
        case .popaw: return simple(.popa, size: 2)
        case .pushf: return simple(.pushf, size: 2)
        case .pushfd: return simple(.pushf, size: 4)
        case .popf: return simple(.popf, size: 2)
        case .popfd: return simple(.popf, size: 4)
        case .enter:
            guard operands.count == 2, let frame = operands[0].immediate, let level = operands[1].immediate else {
                return undefinedOpcode(op)
            }
            op.immediate = UInt32(truncatingIfNeeded: frame) & 0xFFFF
            op.immediate2 = UInt32(truncatingIfNeeded: level) & 0xFF
            return simple(.enter, size: operandSize)
        case .leave: return simple(.leave, size: operandSize)

        case .jmp, .call:
            guard operands.count == 1 else { return undefinedOpcode(op) }
            op.size = operandSize
            if let target = operands[0].immediate {
                op.immediate = UInt32(truncatingIfNeeded: target)
                if operandSize == 2 { op.immediate &= 0xFFFF }
                return simple(instruction.mnemonic == .jmp ? .jmp : .call)
            }
            guard source(0) else { return undefinedOpcode(op) }
            return simple(instruction.mnemonic == .jmp ? .jmpIndirect : .callIndirect)
        case .ret:
            op.immediate = UInt32(truncatingIfNeeded: operands.first?.immediate ?? 0) & 0xFFFF
            return simple(.ret, size: operandSize)
        case .ja, .jae, .jb, .jbe, .je, .jne, .jg, .jge, .jl, .jle, .jo, .jno, .jp, .jnp, .js, .jns:
            guard let target = operands.first?.immediate, let cc = condition("j") else { return undefinedOpcode(op) }
            op.immediate = UInt32(truncatingIfNeeded: target)
            if operandSize == 2 { op.immediate &= 0xFFFF }
            op.condition = cc
            return simple(.jcc)
        case .loop, .loope, .loopne, .jecxz, .jcxz:
            guard let target = operands.first?.immediate else { return undefinedOpcode(op) }
            op.immediate = UInt32(truncatingIfNeeded: target)
            if operandSize == 2 { op.immediate &= 0xFFFF }  // 0x66: the upper half of eip is cleared
            let kinds: [X86Mnemonic: OpKind] = [.loop: .loop, .loope: .loope, .loopne: .loopne,
                                                .jecxz: .jecxz, .jcxz: .jecxz]
            return simple(kinds[instruction.mnemonic] ?? .loop)
        case .seta, .setae, .setb, .setbe, .sete, .setne, .setg, .setge, .setl, .setle,
             .seto, .setno, .setp, .setnp, .sets, .setns:
            guard destination(), let cc = condition("set") else { return undefinedOpcode(op) }
            op.condition = cc
            return simple(.setcc, size: 1)
        case .cmova, .cmovae, .cmovb, .cmovbe, .cmove, .cmovne, .cmovg, .cmovge, .cmovl, .cmovle,
             .cmovo, .cmovno, .cmovp, .cmovnp, .cmovs, .cmovns:
            guard destination(), source(), let cc = condition("cmov") else { return undefinedOpcode(op) }
            op.condition = cc
            return simple(.cmovcc)

        case .movsb, .movsw, .movsd, .cmpsb, .cmpsw, .cmpsd:
            guard instruction.opcode.count == 1, (0xA4...0xA7).contains(instruction.opcode[0]) else {
                return undefinedOpcode(op)  // the SSE movsd/cmpsd (#UD: no SSE2)
            }
            return simple(instruction.opcode[0] < 0xA6 ? .movs : .cmps, size: stringSize())
        case .stosb, .stosw, .stosd: return simple(.stos, size: stringSize())
        case .lodsb, .lodsw, .lodsd: return simple(.lods, size: stringSize())
        case .scasb, .scasw, .scasd: return simple(.scas, size: stringSize())
        case .insb, .insw, .insd: return simple(.ins, size: stringSize())
        case .outsb, .outsw, .outsd: return simple(.outs, size: stringSize())

        case .daa: return simple(.daa, size: 1)
        case .das: return simple(.das, size: 1)
        case .aaa: return simple(.aaa, size: 1)
        case .aas: return simple(.aas, size: 1)
        case .aam, .aad:
            op.immediate = instruction.bytes.count > 1 ? UInt32(instruction.bytes[instruction.bytes.count - 1]) : 10
            return simple(instruction.mnemonic == .aam ? .aam : .aad, size: 1)

        case .clc: return simple(.clc)
        case .stc: return simple(.stc)
        case .cmc: return simple(.cmc)
        case .cld: return simple(.cld)
        case .std: return simple(.std)
        case .cli: return simple(.cli)
        case .sti: return simple(.sti)

        case .nop, .pause: return simple(.nop)  // pause (rep nop) is a nop on a P6
        case .salc: return simple(.salc, size: 1)
        case .int1: return simple(.int1)
        case .rdpmc: return simple(.rdpmc)
        case .hlt: return simple(.hlt)
        case .cpuid: return simple(.cpuid)
        case .rdtsc: return simple(.rdtsc)
        case .int3: return simple(.int3)
        case .int:
            op.immediate = UInt32(truncatingIfNeeded: operands.first?.immediate ?? 0) & 0xFF
            return simple(.int)
        case .into: return simple(.into)
        case .ud2, .ud0, .ud1: return simple(.invalid)
        case .in, .out:
            // Intel order: in acc, port / out port, acc. The port is dx or an imm8.
            guard operands.count == 2 else { return undefinedOpcode(op) }
            let accumulator = instruction.mnemonic == .in ? operands[0] : operands[1]
            let port = instruction.mnemonic == .in ? operands[1] : operands[0]
            op.size = UInt8(max(1, min(accumulator.size, 4)))
            if let value = port.immediate {
                op.source = Op.immediate
                op.immediate = UInt32(truncatingIfNeeded: value) & 0xFF
            } else {
                op.source = 2  // dx
            }
            return simple(instruction.mnemonic == .in ? .in : .out)
        case .clts: return simple(.clts)

        case .lgdt, .lidt:
            guard source(0) else { return undefinedOpcode(op) }
            return simple(instruction.mnemonic == .lgdt ? .lgdt : .lidt, size: operandSize)
        case .sgdt, .sidt:
            guard destination(0) else { return undefinedOpcode(op) }
            return simple(instruction.mnemonic == .sgdt ? .sgdt : .sidt, size: operandSize)
        case .lldt, .ltr, .verr, .verw, .lmsw:
            guard source(0) else { return undefinedOpcode(op) }
            let kinds: [X86Mnemonic: OpKind] = [.lldt: .lldt, .ltr: .ltr, .verr: .verr, .verw: .verw, .lmsw: .lmsw]
            return simple(kinds[instruction.mnemonic] ?? .lldt, size: 2)
        case .sldt, .str, .smsw:
            guard destination(0) else { return undefinedOpcode(op) }
            let kinds: [X86Mnemonic: OpKind] = [.sldt: .sldt, .str: .str, .smsw: .smsw]
            return simple(kinds[instruction.mnemonic] ?? .sldt)
        case .lds, .les, .lfs, .lgs, .lss:
            guard destination(), source() else { return undefinedOpcode(op) }
            let segments: [X86Mnemonic: X86Register] = [.lds: .ds, .les: .es, .lfs: .fs, .lgs: .gs, .lss: .ss]
            op.specialRegister = UInt8(segments[instruction.mnemonic]?.number ?? 3)
            return simple(.loadFarPointer)
        case .bound:
            guard destination(), source() else { return undefinedOpcode(op) }
            return simple(.bound)
        case .lar, .lsl:
            guard destination(), source() else { return undefinedOpcode(op) }
            return simple(instruction.mnemonic == .lar ? .lar : .lsl)
        case .arpl:
            guard destination(), source() else { return undefinedOpcode(op) }
            return simple(.arpl, size: 2)
        case .ljmp, .lcall:
            op.size = operandSize
            if operands.count == 2, let selector = operands[0].immediate, let offset = operands[1].immediate {
                op.source = Op.immediate
                op.immediate2 = UInt32(truncatingIfNeeded: selector) & 0xFFFF
                op.immediate = UInt32(truncatingIfNeeded: offset)
            } else {
                guard operands.count == 1, operands[0].memory != nil, source(0) else { return undefinedOpcode(op) }
            }
            return simple(instruction.mnemonic == .ljmp ? .jmpFar : .callFar, size: operandSize)
        case .retf:
            op.immediate = UInt32(truncatingIfNeeded: operands.first?.immediate ?? 0) & 0xFFFF
            return simple(.retFar, size: operandSize)
        case .iretd: return simple(.iret, size: 4)
        case .iret: return simple(.iret, size: 2)
        case .rdmsr: return simple(.rdmsr)
        case .wrmsr: return simple(.wrmsr)
        case .sysenter: return simple(.sysenter)
        case .sysexit: return simple(.sysexit)
        case .invlpg:
            guard source(0), op.source == Op.memory else { return undefinedOpcode(op) }
            return simple(.invlpg)
        case .wbinvd, .invd: return simple(.privilegedNop)  // no caches to write back or drop
        case .wait: return simple(.wait)
        case .fxsave, .fxrstor: return translateFXSR(instruction, op)
        default:
            // Everything the P6 does not execute is #UD (the x87 escapes were translated above).
            return undefinedOpcode(op)
        }
    }

    /// An encoding the modelled CPU rejects (an instruction it lacks, or a
    /// form it forbids, such as a register operand where only memory is
    /// allowed): #UD when executed.
    private static func undefinedOpcode(_ op: Op) -> Op {
        var result = op
        result.kind = .invalid
        return result
    }

    /// Places an operand: returns its location and fills the memory or
    /// immediate fields of `op`; nil for an operand kstep cannot address.
    static func place(_ operand: X86Operand, into op: inout Op) -> UInt8? {
        switch operand.kind {
        case .register(let register):
            guard register.isGeneralPurpose, let number = register.number else { return nil }
            return UInt8(number)
        case .immediate(let value):
            op.immediate = UInt32(truncatingIfNeeded: value)
            return Op.immediate
        case .memory(let memory):
            if let base = memory.base {
                guard base.isGeneralPurpose, base.size >= 2, let number = base.number else { return nil }
                op.base = UInt8(number)
            }
            if let index = memory.index {
                guard index.isGeneralPurpose, index.size >= 2, let number = index.number else { return nil }
                op.index = UInt8(number)
                switch memory.scale {
                case 2: op.scaleShift = 1
                case 4: op.scaleShift = 2
                case 8: op.scaleShift = 3
                default: op.scaleShift = 0
                }
            }
            op.displacement = UInt32(truncatingIfNeeded: memory.displacement)
            if let segment = memory.segment, let number = segment.number {
                op.segment = UInt8(number)
            } else if op.segment == 3, memory.base == .esp || memory.base == .ebp || memory.base == .bp {
                op.segment = 2  // ss is the default segment for esp/ebp-based addresses
            }
            return Op.memory
        }
    }
}
