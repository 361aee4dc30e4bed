/// Setter→reader pairs for the host-CPU differential test: a flag-setting
/// instruction, sometimes an instruction between them, then one that reads
/// the flags, so kstep's lazy flags are compared as a later instruction sees
/// them (a jcc, setcc, cmovcc, adc, pushf… evaluating the pending flags), not
/// only as the final EFLAGS.
///
/// Only flags the SDM defines after the setter may be consumed. Each step
/// knows which flags are defined after it (`available`); a reader is chosen
/// among those whose inputs are all available, and pushf and lahf mask the
/// undefined flags out of what they store. The case's compared EFLAGS are
/// what is still defined after the reader.
extension SnippetGenerator {
    /// A condition code (SDM Vol. 1, Appendix B) and the flags it reads.
    struct Condition {
        var name: String
        var reads: UInt32
    }

    static let conditions: [Condition] = [
        Condition(name: "o", reads: Flag.of), Condition(name: "no", reads: Flag.of),
        Condition(name: "b", reads: Flag.cf), Condition(name: "ae", reads: Flag.cf),
        Condition(name: "e", reads: Flag.zf), Condition(name: "ne", reads: Flag.zf),
        Condition(name: "be", reads: Flag.cf | Flag.zf), Condition(name: "a", reads: Flag.cf | Flag.zf),
        Condition(name: "s", reads: Flag.sf), Condition(name: "ns", reads: Flag.sf),
        Condition(name: "p", reads: Flag.pf), Condition(name: "np", reads: Flag.pf),
        Condition(name: "l", reads: Flag.sf | Flag.of), Condition(name: "ge", reads: Flag.sf | Flag.of),
        Condition(name: "le", reads: Flag.zf | Flag.sf | Flag.of), Condition(name: "g", reads: Flag.zf | Flag.sf | Flag.of),
    ]

    /// The six arithmetic flags.
    static let arithmetic: UInt32 = Flag.cf | Flag.pf | Flag.af | Flag.zf | Flag.sf | Flag.of

    /// One step of a pair: its lines and the flags defined after it.
    struct PairStep {
        var lines: [String]
        var available: UInt32
        var label: String
    }

    // MARK: Setters

    /// Existing families whose instruction sets flags, and the pair-only ones.
    static let flagSetters: [Family] = {
        let reused = ["alu", "unary", "shift", "double-shift", "multiply", "imul-2-3", "bit-test", "bit-scan"]
        return families.filter { reused.contains($0.name) } + pairOnlySetters
    }()

    static let pairOnlySetters: [Family] = [
        Family(name: "shift-count") { g, context in
            // shl/shr/sar/rol/ror by 1…31, immediate or cl: the lazy shift paths.
            let mnemonic = g.pick(["shl", "shr", "sar", "rol", "ror"])
            let size = g.size()
            var setup: [String] = []
            let operand = g.registerOrMemory(size: size, avoid: [1], setup: &setup)
            let count = UInt32(g.chance(60) ? g.int(1...(size * 8 - 1)) : g.int(1...31))
            let useCL = g.chance(50)
            if useCL { context.setRegister(1, count | (g.value() & 0xFFFF_FF00)) }
            var defined = Flag.all
            if count != 1 { defined &= ~Flag.of }
            if mnemonic == "shl" || mnemonic == "shr" || mnemonic == "sar" {
                defined &= ~Flag.af
                if mnemonic != "sar" && count >= UInt32(size * 8) { defined &= ~Flag.cf }
            }
            let countText = useCL ? "%cl" : "$\(count)"
            return (setup + ["\(mnemonic)\(G.suffix(size)) \(countText), \(operand.text)"], defined,
                    "\(mnemonic)/\(G.suffix(size))/\(useCL ? "cl" : "imm")-1..31/\(operand.isMemory ? "mem" : "reg")")
        },
        Family(name: "bcd") { g, _ in
            switch g.int(0...2) {
            case 0:
                let m = g.pick(["daa", "das"])
                return ([m], Flag.all & ~Flag.of, m)
            case 1:
                let m = g.pick(["aaa", "aas"])
                return ([m], Flag.af | Flag.cf | Flag.df, m)
            default:
                if g.chance(50) {
                    return (["aam $\(g.pick([10, 16, 7, 255, g.int(1...255)]))"], Flag.sf | Flag.zf | Flag.pf | Flag.df, "aam")
                }
                return (["aad $\(g.pick([10, 16, 0, 255, g.int(0...255)]))"], Flag.sf | Flag.zf | Flag.pf | Flag.df, "aad")
            }
        },
        Family(name: "flag-load") { g, _ in
            switch g.int(0...3) {
            case 0:
                return (["sahf"], Flag.all, "sahf")
            // IF stays set: the host runs at CPL 3 with IOPL 0, where popf cannot
            // change it, kstep at CPL 0, where it can (a pushf later would show it).
            case 1:
                return (["movl $0x\(String(g.value() & 0x0CD5 | 0x202, radix: 16)), %eax", "pushl %eax", "popfl"], Flag.all, "popf/l")
            case 2:
                return (["pushw $0x\(String(g.value() & 0x0CD5 | 0x202, radix: 16))", "popfw"], Flag.all, "popf/w")
            default:
                let m = g.pick(["clc", "stc", "cmc"])
                return ([m], Flag.all, m)
            }
        },
        Family(name: "exchange") { g, _ in
            var setup: [String] = []
            if g.chance(20) {
                let operand = g.memoryOperand(size: 8, avoid: [0, 1, 2, 3], setup: &setup)
                if g.chance(50) {
                    setup.append("movl \(operand), %eax")
                    setup.append("movl 4+\(operand), %edx")
                }
                return (setup + ["\(g.chance(30) ? "lock " : "")cmpxchg8b \(operand)"], Flag.all, "cmpxchg8b")
            }
            let size = g.size()
            let mnemonic = g.pick(["xadd", "cmpxchg"])
            let destination = g.registerOrMemory(size: size, avoid: mnemonic == "cmpxchg" ? [0] : [], setup: &setup)
            let source = G.registerName(g.registerNumber(avoid: mnemonic == "cmpxchg" ? [0, 4] : []), size: size)
            if mnemonic == "cmpxchg" && g.chance(50) {
                setup.append("mov\(G.suffix(size)) \(destination.text), \(G.registerName(0, size: size))")
            }
            let lock = destination.isMemory && g.chance(30) ? "lock " : ""
            return (setup + ["\(lock)\(mnemonic)\(G.suffix(size)) \(source), \(destination.text)"], Flag.all,
                    "\(mnemonic)/\(G.suffix(size))/\(destination.isMemory ? "mem" : "reg")")
        },
        Family(name: "compare-string", usesDirection: true) { g, context in
            let mnemonic = g.pick(["cmps", "scas"])
            let size = g.size()
            let prefix = g.pick(["", "repe ", "repne "])
            context.setRegister(1, UInt32(g.pick([0, 1, 2, 3, 5])))
            let source = g.int(40...140)
            let destination = g.int(40...140)
            if g.chance(50) {
                for offset in 0..<24 {
                    context.window[source - 12 + offset] = 0x41
                    context.window[destination - 12 + offset] = 0x41
                }
                context.setRegister(0, 0x4141_4141)
            }
            return (["leal window+\(source), %esi", "leal window+\(destination), %edi", "\(prefix)\(mnemonic)\(G.suffix(size))"],
                    Flag.all, "\(prefix)\(mnemonic)\(G.suffix(size))")
        },
    ]

    // MARK: Between setter and reader

    /// Nothing (most often), an instruction that leaves the flags alone (it may
    /// end the block; a shift by a count that masks to 0 is one), or one that
    /// changes some of them: inc/dec (all but CF), clc/stc/cmc (CF), sahf (all
    /// but OF), bt (CF; ZF kept), a rotate (CF, and OF by 1; the rest kept).
    mutating func flagMiddle(available: UInt32) -> PairStep {
        let register = G.registers32[registerNumber()]
        let other = G.registers32[registerNumber()]
        switch int(0...99) {
        case 0..<40:
            return PairStep(lines: [], available: available, label: "adjacent")
        case 40..<44:
            // SDM: "If the count is 0, the flags are not affected."
            let mnemonic = pick(["shl", "shr", "sar", "rol", "ror", "rcl", "rcr"])
            let operand = G.registers32[registerNumber(avoid: [1])]
            if chance(50) {
                return PairStep(lines: ["movb $\(pick([0, 32, 64, 224])), %cl", "\(mnemonic)l %cl, \(operand)"],
                                available: available, label: "\(mnemonic)-0")
            }
            return PairStep(lines: ["\(mnemonic)l $\(pick([0, 32])), \(operand)"], available: available, label: "\(mnemonic)-0")
        case 44..<50:
            let usesCarry = available & Flag.cf != 0 && chance(40)
            let mnemonic = usesCarry ? pick(["rcl", "rcr"]) : pick(["rol", "ror"])
            let size = size()
            var setup: [String] = []
            let operand = registerOrMemory(size: size, avoid: [1], setup: &setup)
            let count = chance(40) ? 1 : int(1...(size * 8 - 1))
            let defined = count == 1 ? Flag.cf | Flag.of : Flag.cf
            return PairStep(lines: setup + ["\(mnemonic)\(G.suffix(size)) $\(count), \(operand.text)"],
                            available: (available & ~(Flag.cf | Flag.of)) | defined, label: mnemonic)
        case 50..<65:
            switch int(0...4) {
            case 0: return PairStep(lines: ["nop"], available: available, label: "nop")
            case 1: return PairStep(lines: ["movl \(register), \(other)"], available: available, label: "mov")
            case 2: return PairStep(lines: ["leal \(int(-8...8))(\(register)), \(other)"], available: available, label: "lea")
            case 3: return PairStep(lines: ["jmp 2f", "2:"], available: available, label: "jmp")
            default: return PairStep(lines: ["pushl %eax", "popl %eax"], available: available, label: "push-pop")
            }
        case 65..<80:
            let mnemonic = pick(["inc", "dec"])
            let size = size()
            var setup: [String] = []
            let operand = registerOrMemory(size: size, setup: &setup)
            return PairStep(lines: setup + ["\(mnemonic)\(G.suffix(size)) \(operand.text)"],
                            available: (available & (Flag.cf | Flag.df)) | (G.arithmetic & ~Flag.cf), label: mnemonic)
        case 80..<88:
            if available & Flag.cf != 0 && chance(34) {
                return PairStep(lines: ["cmc"], available: available, label: "cmc")
            }
            let mnemonic = pick(["clc", "stc"])
            return PairStep(lines: [mnemonic], available: available | Flag.cf, label: mnemonic)
        case 88..<94:
            return PairStep(lines: ["movb $0x\(String(value() & 0xFF, radix: 16)), %ah", "sahf"],
                            available: (available & (Flag.of | Flag.df)) | (G.arithmetic & ~Flag.of), label: "sahf")
        default:
            return PairStep(lines: ["btl $\(int(0...31)), \(register)"],
                            available: (available & (Flag.zf | Flag.df)) | Flag.cf, label: "bt")
        }
    }

    // MARK: Readers

    /// A memory operand for a reader: an absolute address half the time, so
    /// no setup line separates it from the setter.
    mutating func readerMemory(size: Int, setup: inout [String]) -> String {
        chance(50) ? "window+\(int(0...(184 - size)))" : memoryOperand(size: size, setup: &setup)
    }

    mutating func readerOperand(size: Int, setup: inout [String]) -> (text: String, isMemory: Bool) {
        if chance(40) { return (readerMemory(size: size, setup: &setup), true) }
        return (G.registerName(registerNumber(), size: size), false)
    }

    /// An instruction that reads flags defined in `available`; `afterIncDec`
    /// favours jc/jnc (CF kept from before the inc/dec).
    mutating func flagReader(available: UInt32, afterIncDec: Bool, context: inout CaseContext) -> PairStep {
        let usable = G.conditions.filter { $0.reads & ~available == 0 }
        let hasCF = available & Flag.cf != 0
        if afterIncDec && hasCF && chance(50) {
            let mnemonic = pick(["jc", "jnc"])
            return PairStep(lines: ["\(mnemonic) 1f", "movl $0x11111111, %eax", "1:"], available: available, label: mnemonic)
        }
        var setup: [String] = []
        while true {
            switch int(0...99) {
            case 0..<25 where !usable.isEmpty:
                let condition = pick(usable)
                return PairStep(lines: ["j\(condition.name) 1f", "movl $0x11111111, %eax", "1:"],
                                available: available, label: "j\(condition.name)")
            case 25..<40 where !usable.isEmpty:
                let condition = pick(usable)
                let operand = chance(40) ? readerMemory(size: 1, setup: &setup) : G.registerName(registerNumber(), size: 1)
                return PairStep(lines: setup + ["set\(condition.name) \(operand)"], available: available, label: "set\(condition.name)")
            case 40..<55 where !usable.isEmpty:
                let condition = pick(usable)
                let size = pick([2, 4])
                let source = readerOperand(size: size, setup: &setup)
                return PairStep(lines: setup + ["cmov\(condition.name)\(G.suffix(size)) \(source.text), \(G.registerName(registerNumber(), size: size))"],
                                available: available, label: "cmov\(condition.name)")
            case 55..<67 where hasCF:
                let mnemonic = pick(["adc", "sbb"])
                let size = size()
                let destination = readerOperand(size: size, setup: &setup)
                let source: String
                if chance(35) {
                    source = "$\(immediate(size: size))"
                } else if !destination.isMemory && chance(30) {
                    source = readerMemory(size: size, setup: &setup)
                } else {
                    source = G.registerName(registerNumber(), size: size)
                }
                return PairStep(lines: setup + ["\(mnemonic)\(G.suffix(size)) \(source), \(destination.text)"],
                                available: Flag.all, label: mnemonic)
            case 67..<75:
                // pushf stores every flag: the undefined ones are masked out of
                // the stored image (which stays in the window) with and.
                let undefined = G.arithmetic & ~available
                let size = pick([2, 4, 4])
                let mask = ~undefined & (size == 2 ? 0xFFFF : 0xFFFF_FFFF)
                let after = (available & Flag.df) | (G.arithmetic & ~Flag.af)
                var lines = ["pushf\(G.suffix(size))", "and\(G.suffix(size)) $0x\(String(mask, radix: 16)), (%esp)"]
                if chance(50) { lines.append("pop\(G.suffix(size)) \(G.registerName(registerNumber(), size: size))") }
                return PairStep(lines: lines, available: after, label: size == 2 ? "pushfw" : "pushf")
            case 75..<82:
                let undefined = G.arithmetic & ~available & 0xD5
                return PairStep(lines: ["lahf", "andb $0x\(String(0xFF & ~undefined, radix: 16)), %ah"],
                                available: (available & Flag.df) | (G.arithmetic & ~Flag.af), label: "lahf")
            case 82..<90 where hasCF:
                let mnemonic = pick(["rcl", "rcr"])
                let size = size()
                let operand = chance(40) ? readerMemory(size: size, setup: &setup)
                                         : G.registerName(registerNumber(avoid: [1]), size: size)
                let count = chance(40) ? 1 : int(1...(size * 8 - 1))
                let countText: String
                switch int(0...2) {
                case 0 where count == 1: countText = ""
                case 1:
                    setup.append("movb $\(count), %cl")
                    countText = "%cl, "
                default: countText = "$\(count), "
                }
                let defined = count == 1 ? Flag.cf | Flag.of : Flag.cf
                return PairStep(lines: setup + ["\(mnemonic)\(G.suffix(size)) \(countText)\(operand)"],
                                available: (available & ~(Flag.cf | Flag.of)) | defined,
                                label: "\(mnemonic)/\(count == 1 ? "1" : "n")")
            case 90..<95 where available & Flag.zf != 0:
                let mnemonic = pick(["loope", "loopne"])
                return PairStep(lines: ["\(mnemonic) 1f", "movl $0x22222222, %edx", "1:"], available: available, label: mnemonic)
            case 95..<100 where available & Flag.af != 0:
                // daa/das read CF and AF (and define all but OF); aaa/aas read AF (and define AF, CF).
                if hasCF && chance(50) {
                    let mnemonic = pick(["daa", "das"])
                    return PairStep(lines: [mnemonic], available: (available & Flag.df) | (G.arithmetic & ~Flag.of), label: mnemonic)
                }
                let mnemonic = pick(["aaa", "aas"])
                return PairStep(lines: [mnemonic], available: (available & Flag.df) | Flag.af | Flag.cf, label: mnemonic)
            default:
                continue
            }
        }
    }

    /// A pair family per setter family: setter, maybe a middle step, reader.
    static let flagPairFamilies: [Family] = flagSetters.map { setter in
        Family(name: "pair/\(setter.name)", usesDirection: setter.usesDirection) { g, context in
            let made = setter.make(&g, &context)
            let middle = g.flagMiddle(available: made.defined)
            let afterIncDec = middle.label == "inc" || middle.label == "dec"
            let reader = g.flagReader(available: middle.available, afterIncDec: afterIncDec, context: &context)
            return (made.lines + middle.lines + reader.lines, reader.available,
                    "\(made.label) | \(middle.label) | \(reader.label)")
        }
    }
}
