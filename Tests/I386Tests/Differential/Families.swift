/// The instruction families of the differential test, with the flags the SDM
/// leaves undefined after each.
extension SnippetGenerator {
    typealias G = SnippetGenerator

    /// A register or memory operand of `size` (memory with `memoryPercent` chance).
    mutating func registerOrMemory(size: Int, memoryPercent: Int = 40, avoid: Set<Int> = [],
                                   setup: inout [String]) -> (text: String, isMemory: Bool, number: Int) {
        if chance(memoryPercent) {
            return (memoryOperand(size: size, avoid: avoid, setup: &setup), true, -1)
        }
        let number = registerNumber(avoid: avoid)
        return (G.registerName(number, size: size), false, number)
    }

    mutating func size() -> Int { pick([1, 2, 4]) }

    mutating func immediate(size: Int) -> UInt32 { value() & (size == 4 ? 0xFFFF_FFFF : (size == 2 ? 0xFFFF : 0xFF)) }

    static let families: [Family] = [
        Family(name: "alu") { g, _ in
            let mnemonic = g.pick(["add", "adc", "sub", "sbb", "cmp", "and", "or", "xor", "test"])
            let size = g.size()
            var setup: [String] = []
            let destination = g.registerOrMemory(size: size, setup: &setup)
            let source: String
            var form = destination.isMemory ? "mem" : "reg"
            if g.chance(35) {
                source = "$\(g.immediate(size: size))"
                form += ",imm"
            } else if !destination.isMemory && g.chance(40) {
                source = g.memoryOperand(size: size, setup: &setup)
                form += ",mem"
            } else {
                source = G.registerName(g.registerNumber(allowESP: true), size: size)
                form += ",reg"
            }
            let logic = ["and", "or", "xor", "test"].contains(mnemonic)
            let lock = destination.isMemory && mnemonic != "cmp" && mnemonic != "test" && g.chance(20) ? "lock " : ""
            return (setup + ["\(lock)\(mnemonic)\(G.suffix(size)) \(source), \(destination.text)"],
                    logic ? Flag.all & ~Flag.af : Flag.all, "\(mnemonic)/\(G.suffix(size))/\(form)")
        },
        Family(name: "unary") { g, _ in
            let mnemonic = g.pick(["inc", "dec", "neg", "not"])
            let size = g.size()
            var setup: [String] = []
            let operand = g.registerOrMemory(size: size, setup: &setup)
            let lock = operand.isMemory && g.chance(20) ? "lock " : ""
            return (setup + ["\(lock)\(mnemonic)\(G.suffix(size)) \(operand.text)"], Flag.all,
                    "\(mnemonic)/\(G.suffix(size))/\(operand.isMemory ? "mem" : "reg")")
        },
        Family(name: "shift") { g, context in
            let mnemonic = g.pick(["shl", "sal", "shr", "sar", "rol", "ror", "rcl", "rcr"])
            let size = g.size()
            var setup: [String] = []
            let operand = g.registerOrMemory(size: size, avoid: [1], setup: &setup)
            let count: UInt32
            let countText: String
            switch g.int(0...2) {
            case 0:
                count = 1
                countText = ""
            case 1:
                count = UInt32(g.pick([0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 63, 200, g.int(0...255)]))
                countText = "$\(count), "
            default:
                count = UInt32(g.pick([0, 1, 2, 7, 8, 9, 16, 17, 31, 32, g.int(0...255)])) | (g.value() & 0xFFFF_FF00)
                context.setRegister(1, count)
                countText = "%cl, "
            }
            let masked = count & 0x1F
            let bits = UInt32(size * 8)
            var defined = Flag.all
            switch mnemonic {
            case "rol", "ror":
                if masked != 1 { defined &= ~Flag.of }
            case "rcl", "rcr":
                if masked != 1 { defined &= ~Flag.of }
            default:
                if masked != 0 {
                    defined &= ~Flag.af
                    if masked != 1 { defined &= ~Flag.of }
                    if (mnemonic == "shl" || mnemonic == "sal" || mnemonic == "shr") && masked >= bits {
                        defined &= ~Flag.cf
                    }
                }
            }
            let kind = countText.isEmpty ? "1" : (countText.hasPrefix("%") ? "cl" : "imm")
            return (setup + ["\(mnemonic)\(G.suffix(size)) \(countText)\(operand.text)"], defined,
                    "\(mnemonic)/\(G.suffix(size))/\(kind)/\(operand.isMemory ? "mem" : "reg")")
        },
        Family(name: "double-shift") { g, context in
            let mnemonic = g.pick(["shld", "shrd"])
            let size = g.pick([2, 4])
            var setup: [String] = []
            let operand = g.registerOrMemory(size: size, avoid: [1], setup: &setup)
            let source = G.registerName(g.registerNumber(avoid: [1]), size: size)
            let count = UInt32(g.pick([0, 1, 2, 7, 8, 15, 16, 17, 31, 32, g.int(0...31)]))
            let masked = count & 0x1F
            let effective = size == 2 && masked > 16 ? UInt32(g.int(0...16)) : count
            let useCL = g.chance(50)
            if useCL { context.setRegister(1, effective | (g.value() & 0xFFFF_FF00)) }
            var defined = Flag.all
            if effective & 0x1F != 0 {
                defined &= ~Flag.af
                if effective & 0x1F != 1 { defined &= ~Flag.of }
            }
            let countText = useCL ? "%cl" : "$\(effective)"
            return (setup + ["\(mnemonic)\(G.suffix(size)) \(countText), \(source), \(operand.text)"], defined,
                    "\(mnemonic)/\(G.suffix(size))/\(useCL ? "cl" : "imm")/\(operand.isMemory ? "mem" : "reg")")
        },
        Family(name: "multiply") { g, _ in
            let mnemonic = g.pick(["mul", "imul"])
            let size = g.size()
            var setup: [String] = []
            let operand = g.registerOrMemory(size: size, setup: &setup)
            return (setup + ["\(mnemonic)\(G.suffix(size)) \(operand.text)"], Flag.cf | Flag.of | Flag.df,
                    "\(mnemonic)/\(G.suffix(size))/\(operand.isMemory ? "mem" : "reg")")
        },
        Family(name: "imul-2-3") { g, _ in
            let size = g.pick([2, 4])
            var setup: [String] = []
            let destination = G.registerName(g.registerNumber(), size: size)
            let source = g.registerOrMemory(size: size, setup: &setup)
            if g.chance(50) {
                let value = g.chance(50) ? Int(Int8(truncatingIfNeeded: g.value())) : Int(g.immediate(size: size))
                return (setup + ["imul\(G.suffix(size)) $\(value), \(source.text), \(destination)"], Flag.cf | Flag.of | Flag.df,
                        "imul3/\(G.suffix(size))/\(source.isMemory ? "mem" : "reg")")
            }
            return (setup + ["imul\(G.suffix(size)) \(source.text), \(destination)"], Flag.cf | Flag.of | Flag.df,
                    "imul2/\(G.suffix(size))/\(source.isMemory ? "mem" : "reg")")
        },
        Family(name: "divide") { g, context in
            let signed = g.chance(50)
            let size = g.size()
            var setup: [String] = []
            // The divisor is never eax or edx (or al/ah/ax/dx): they hold the dividend.
            let operand = g.registerOrMemory(size: size, avoid: [0, 2, 4], setup: &setup)
            let mask: UInt32 = size == 4 ? 0xFFFF_FFFF : (size == 2 ? 0xFFFF : 0xFF)
            var divisor = g.value() & mask
            if divisor == 0 { divisor = 1 }
            // Keep the quotient in range: unsigned high < divisor; signed, a sign-extended dividend.
            let low = g.value()
            var high: UInt32
            if signed {
                let signedLow = Int64(Int32(bitPattern: signExtendValue(low & mask, size: size)))
                high = signedLow < 0 ? 0xFFFF_FFFF : 0
                if signExtendValue(divisor, size: size) == 0xFFFF_FFFF && signExtendValue(low & mask, size: size) == signExtendValue(mask ^ (mask >> 1), size: size) {
                    divisor = 3
                }
            } else {
                high = g.value() % divisor
            }
            switch size {
            case 1:
                context.setRegister(0, (context.register(0) & 0xFFFF_0000) | ((high & 0xFF) << 8) | (low & 0xFF))
            case 2:
                context.setRegister(0, (context.register(0) & 0xFFFF_0000) | (low & 0xFFFF))
                context.setRegister(2, (context.register(2) & 0xFFFF_0000) | (high & 0xFFFF))
            default:
                context.setRegister(0, low)
                context.setRegister(2, high)
            }
            if operand.isMemory {
                setup.append("mov\(G.suffix(size)) $\(divisor), \(operand.text)")
            } else {
                setup.append("mov\(G.suffix(size)) $\(divisor), \(operand.text)")
            }
            let mnemonic = signed ? "idiv" : "div"
            return (setup + ["\(mnemonic)\(G.suffix(size)) \(operand.text)"], Flag.df,
                    "\(mnemonic)/\(G.suffix(size))/\(operand.isMemory ? "mem" : "reg")")
        },
        Family(name: "bit-test") { g, context in
            let mnemonic = g.pick(["bt", "bts", "btr", "btc"])
            let size = g.pick([2, 4])
            var setup: [String] = []
            let defined = Flag.cf | Flag.zf | Flag.df
            if g.chance(40) {
                // Register offset into memory: the bit string reaches beyond the operand, both ways.
                let offsetRegister = g.registerNumber(avoid: [5, 6, 7])
                let offset = g.int(-500...500)
                context.setRegister(offsetRegister, UInt32(bitPattern: Int32(offset)))
                let base = g.pick([5, 6, 7])
                setup.append("leal window+96, \(G.registers32[base])")
                let lock = mnemonic != "bt" && g.chance(20) ? "lock " : ""
                return (setup + ["\(lock)\(mnemonic)\(G.suffix(size)) \(G.registerName(offsetRegister, size: size)), (\(G.registers32[base]))"],
                        defined, "\(mnemonic)/\(G.suffix(size))/reg-offset/mem")
            }
            let operand = g.registerOrMemory(size: size, setup: &setup)
            if g.chance(50) {
                return (setup + ["\(mnemonic)\(G.suffix(size)) $\(g.int(0...255)), \(operand.text)"], defined,
                        "\(mnemonic)/\(G.suffix(size))/imm/\(operand.isMemory ? "mem" : "reg")")
            }
            if operand.isMemory {
                let offsetRegister = g.registerNumber(avoid: [3, 5, 6, 7])
                context.setRegister(offsetRegister, UInt32(g.int(0...(size * 8 - 1))))
                return (setup + ["\(mnemonic)\(G.suffix(size)) \(G.registerName(offsetRegister, size: size)), \(operand.text)"],
                        defined, "\(mnemonic)/\(G.suffix(size))/reg/mem")
            }
            let source = G.registerName(g.registerNumber(), size: size)
            return (setup + ["\(mnemonic)\(G.suffix(size)) \(source), \(operand.text)"], defined,
                    "\(mnemonic)/\(G.suffix(size))/reg/reg")
        },
        Family(name: "bit-scan") { g, _ in
            let mnemonic = g.pick(["bsf", "bsr"])
            let size = g.pick([2, 4])
            var setup: [String] = []
            let source = g.registerOrMemory(size: size, setup: &setup)
            let destination = G.registerName(g.registerNumber(), size: size)
            return (setup + ["\(mnemonic)\(G.suffix(size)) \(source.text), \(destination)"], Flag.zf | Flag.df,
                    "\(mnemonic)/\(G.suffix(size))/\(source.isMemory ? "mem" : "reg")")
        },
        Family(name: "conditional") { g, _ in
            let condition = g.pick(["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"])
            var setup: [String] = []
            switch g.int(0...2) {
            case 0:
                let operand = g.registerOrMemory(size: 1, setup: &setup)
                return (setup + ["set\(condition) \(operand.text)"], Flag.all, "set\(condition)")
            case 1:
                let size = g.pick([2, 4])
                let source = g.registerOrMemory(size: size, setup: &setup)
                let destination = G.registerName(g.registerNumber(), size: size)
                return (setup + ["cmov\(condition)\(G.suffix(size)) \(source.text), \(destination)"], Flag.all,
                        "cmov\(condition)/\(G.suffix(size))")
            default:
                return (["j\(condition) 1f", "movl $0x11111111, %eax", "1:"], Flag.all, "j\(condition)")
            }
        },
        Family(name: "move") { g, _ in
            var setup: [String] = []
            switch g.int(0...6) {
            case 0:
                let size = g.size()
                let destination = g.registerOrMemory(size: size, setup: &setup)
                let source = g.chance(50)
                    ? G.registerName(g.registerNumber(allowESP: true), size: size) : "$\(g.immediate(size: size))"
                return (setup + ["mov\(G.suffix(size)) \(source), \(destination.text)"], Flag.all,
                        "mov/\(G.suffix(size))/\(destination.isMemory ? "to-mem" : "to-reg")")
            case 1:
                let size = g.size()
                let source = g.memoryOperand(size: size, setup: &setup)
                return (setup + ["mov\(G.suffix(size)) \(source), \(G.registerName(g.registerNumber(), size: size))"],
                        Flag.all, "mov/\(G.suffix(size))/from-mem")
            case 2:
                let size = g.size()
                let offset = g.int(0...180)
                let accumulator = G.registerName(0, size: size)
                let text = g.chance(50) ? "mov\(G.suffix(size)) window+\(offset), \(accumulator)"
                                        : "mov\(G.suffix(size)) \(accumulator), window+\(offset)"
                return ([text], Flag.all, "mov/\(G.suffix(size))/moffs")
            case 3:
                let (from, to) = g.pick([(1, 2), (1, 4), (2, 4)])
                let mnemonic = g.pick(["movz", "movs"])
                let source = g.registerOrMemory(size: from, setup: &setup)
                let destination = G.registerName(g.registerNumber(), size: to)
                return (setup + ["\(mnemonic)\(G.suffix(from))\(G.suffix(to)) \(source.text), \(destination)"], Flag.all,
                        "\(mnemonic)x/\(G.suffix(from))\(G.suffix(to))/\(source.isMemory ? "mem" : "reg")")
            case 4:
                // lea: every addressing form, with arbitrary register values (no memory access).
                let size = g.pick([2, 4])
                let base = g.chance(80) ? G.registers32[g.registerNumber(allowESP: true)] : ""
                let index = g.chance(60) ? ",\(G.registers32[g.registerNumber()]),\(g.pick([1, 2, 4, 8]))" : ""
                let displacement = g.pick(["", "\(g.int(-128...127))", "\(Int32(bitPattern: g.value()))"])
                let address = base.isEmpty && index.isEmpty ? "\(displacement.isEmpty ? "0" : displacement)"
                                                            : "\(displacement)(\(base)\(index))"
                return (["lea\(G.suffix(size)) \(address), \(G.registerName(g.registerNumber(), size: size))"], Flag.all,
                        "lea/\(G.suffix(size))")
            case 5:
                let size = g.size()
                let mnemonic = g.pick(["xchg", "xadd", "cmpxchg"])
                let destination = g.registerOrMemory(size: size, avoid: mnemonic == "cmpxchg" ? [0] : [], setup: &setup)
                let source = G.registerName(g.registerNumber(avoid: mnemonic == "cmpxchg" ? [0, 4] : []), size: size)
                if mnemonic == "cmpxchg" && g.chance(50) {
                    setup.append("mov\(G.suffix(size)) \(destination.text), \(G.registerName(0, size: size))")
                }
                let lock = destination.isMemory && mnemonic != "xchg" && g.chance(30) ? "lock " : ""
                return (setup + ["\(lock)\(mnemonic)\(G.suffix(size)) \(source), \(destination.text)"],
                        mnemonic == "xchg" ? Flag.all : Flag.all,
                        "\(mnemonic)/\(G.suffix(size))/\(destination.isMemory ? "mem" : "reg")")
            default:
                let operand = g.memoryOperand(size: 8, avoid: [0, 1, 2, 3], setup: &setup)
                if g.chance(50) {
                    setup.append("movl \(operand), %eax")
                    setup.append("movl 4+\(operand), %edx")
                }
                let lock = g.chance(30) ? "lock " : ""
                return (setup + ["\(lock)cmpxchg8b \(operand)"], Flag.all & ~(0), "cmpxchg8b")
            }
        },
        Family(name: "misc") { g, _ in
            switch g.int(0...12) {
            case 0: return (["bswap \(G.registers32[g.registerNumber()])"], Flag.all, "bswap")
            case 1: let m = g.pick(["cbtw", "cwtl", "cwtd", "cltd"]); return ([m], Flag.all, m)
            case 2: return (["lahf"], Flag.all, "lahf")
            case 3: return (["sahf"], Flag.all, "sahf")
            case 4: let m = g.pick(["clc", "stc", "cmc", "cld", "std"]); return ([m], Flag.all, m)
            case 5: return (["leal window, %ebx", "xlat"], Flag.all, "xlat")
            case 6:
                let m = g.pick(["daa", "das"])
                return ([m], Flag.all & ~Flag.of, m)
            case 7:
                let m = g.pick(["aaa", "aas"])
                return ([m], Flag.af | Flag.cf | Flag.df, m)
            case 8:
                let base = g.pick([10, 16, 7, 1, 255, g.int(1...255)])
                return (["aam $\(base)"], Flag.sf | Flag.zf | Flag.pf | Flag.df, "aam")
            case 9:
                let base = g.pick([10, 16, 0, 1, 255, g.int(0...255)])
                return (["aad $\(base)"], Flag.sf | Flag.zf | Flag.pf | Flag.df, "aad")
            case 10:
                let m = g.pick(["nop", "nopw 0(%eax,%eax,1)", "nopl 0(%eax)", "nopl 0x0(%eax,%eax,1)", "xchg %ax, %ax", "nopw %cs:0x0(%eax,%eax,1)"])
                return ([m], Flag.all, "nop")
            case 11:
                return (["movl $0x\(String(g.value() & 0x0CD5 | 0x202, radix: 16)), %eax", "pushl %eax", "popfl"], Flag.all, "popf/l")
            default:
                let size = g.pick([2, 4])
                return (["pushf\(size == 2 ? "w" : "l")", "pop\(G.suffix(size)) \(G.registerName(g.registerNumber(), size: size))"],
                        Flag.all, "pushf/\(G.suffix(size))")
            }
        },
        Family(name: "stack") { g, _ in
            var setup: [String] = []
            switch g.int(0...9) {
            case 0:
                let size = g.pick([2, 4])
                return (["push\(G.suffix(size)) \(G.registerName(g.registerNumber(allowESP: true), size: size))"], Flag.all,
                        "push/\(G.suffix(size))/reg")
            case 1:
                let size = g.pick([2, 4])
                let value = g.chance(50) ? "\(Int8(truncatingIfNeeded: g.value()))" : "\(g.immediate(size: size))"
                return (["push\(G.suffix(size)) $\(value)"], Flag.all, "push/\(G.suffix(size))/imm")
            case 2:
                let size = g.pick([2, 4])
                let operand = g.memoryOperand(size: size, setup: &setup)
                return (setup + ["push\(G.suffix(size)) \(operand)"], Flag.all, "push/\(G.suffix(size))/mem")
            case 3:
                let size = g.pick([2, 4])
                return (["pop\(G.suffix(size)) \(G.registerName(g.registerNumber(allowESP: g.chance(20)), size: size))"], Flag.all,
                        "pop/\(G.suffix(size))/reg")
            case 4:
                let size = g.pick([2, 4])
                let operand = g.chance(50) ? g.pick(["(%esp)", "4(%esp)", "-4(%esp)", "8(%esp)"])
                                           : g.memoryOperand(size: size, setup: &setup)
                return (setup + ["pop\(G.suffix(size)) \(operand)"], Flag.all, "pop/\(G.suffix(size))/mem")
            case 5:
                let m = g.pick(["pushal", "popal", "pushaw", "popaw"])
                return ([m], Flag.all, m)
            case 6:
                let level = g.pick([0, 1, 2, 3])
                let frame = g.pick([0, 4, 8, 16, 100])
                let size = g.chance(80) ? "" : "w"
                return (["leal window+176, %ebp", "enter\(size) $\(frame), $\(level)"], Flag.all, "enter\(size)/level\(level)")
            case 7:
                let size = g.chance(80) ? "" : "w"
                return (["leal window+\(g.int(160...200)), %ebp", "leave\(size)"], Flag.all, "leave\(size)")
            case 8:
                switch g.int(0...4) {
                case 0: return (["call 1f", "1:"], Flag.all, "call/rel")
                case 1: return (["leal 1f, %eax", "call *%eax", "1:"], Flag.all, "call/reg")
                case 2: return (["movl $1f, window+8", "call *window+8", "1:"], Flag.all, "call/mem")
                case 3:
                    if g.chance(50) { return (["jmp 1f", "movl $0x33333333, %eax", "1:"], Flag.all, "jmp/rel") }
                    return (["leal 1f, %ecx", "jmp *%ecx", "movl $0x33333333, %eax", "1:"], Flag.all, "jmp/reg")
                default: return (["movl $1f, window+12", "jmp *window+12", "movl $0x33333333, %eax", "1:"], Flag.all, "jmp/mem")
                }
            default:
                if g.chance(50) { return (["pushl $1f", "ret", "1:"], Flag.all, "ret") }
                return (["pushl $1f", "ret $\(g.pick([0, 4, 8, 12]))", "1:"], Flag.all, "ret/imm")
            }
        },
        Family(name: "loop") { g, context in
            let mnemonic = g.pick(["loop", "loope", "loopne", "jecxz"])
            context.setRegister(1, g.pick([0, 1, 2, 0xFFFF_FFFF, g.value()]))
            return (["\(mnemonic) 1f", "movl $0x22222222, %edx", "1:"], Flag.all, mnemonic)
        },
        Family(name: "string", usesDirection: true) { g, context in
            let mnemonic = g.pick(["movs", "stos", "lods", "cmps", "scas"])
            let size = g.size()
            let prefix: String
            switch mnemonic {
            case "cmps", "scas": prefix = g.pick(["", "repe ", "repne "])
            default: prefix = g.pick(["", "rep "])
            }
            let count = g.pick([0, 1, 2, 3, 5, 6])
            context.setRegister(1, UInt32(count))
            // Middle of the window: with up to 6 elements of 4 bytes either way, it stays inside.
            let source = g.int(40...140)
            let destination = g.int(40...140)
            if mnemonic == "scas" || mnemonic == "cmps", g.chance(50) {
                // Make runs of equal elements likely, so repe goes on for a while.
                for offset in 0..<24 {
                    context.window[source - 12 + offset] = 0x41
                    context.window[destination - 12 + offset] = 0x41
                }
                context.setRegister(0, 0x4141_4141)
            }
            let lines = ["leal window+\(source), %esi", "leal window+\(destination), %edi",
                         "\(prefix)\(mnemonic)\(G.suffix(size))"]
            return (lines, Flag.all, "\(prefix)\(mnemonic)\(G.suffix(size))")
        },
        // Instructions the P6 model executes that Capstone 4 or the earlier
        // interpreter did not: pause (rep nop), salc, and the hint NOPs 0F 18–0F 1F
        // with any ModR/M and prefix (their memory operand is never accessed,
        // so its address is arbitrary).
        Family(name: "p6") { g, _ in
            switch g.int(0...3) {
            case 0: return ([g.pick(["pause", ".byte 0xf3, 0x90"])], Flag.all, "pause")
            case 1: return ([".byte 0xd6"], Flag.all, "salc")
            default:
                let prefixes: [UInt8] = g.pick([[], [], [0x66], [0x67], [0xF2], [0xF3], [0x66, 0xF3], [0x26]])
                let second = UInt8(g.int(0x18...0x1F))
                let modRM = UInt8(g.int(0...255))
                let bytes = prefixes + [0x0F, second, modRM] + g.modRMTail(modRM, addressSize16: prefixes.contains(0x67))
                let text = bytes.map { "0x" + String($0, radix: 16) }.joined(separator: ", ")
                return ([".byte \(text)"], Flag.all, "hint-nop/0f\(String(second, radix: 16))/\(modRM >= 0xC0 ? "reg" : "mem")")
            }
        },
    ]

    /// Random SIB and displacement bytes that complete `modRM`.
    mutating func modRMTail(_ modRM: UInt8, addressSize16: Bool) -> [UInt8] {
        let mod = modRM >> 6, rm = modRM & 7
        var count = 0
        if mod == 3 { return [] }
        if addressSize16 {
            count = mod == 1 ? 1 : (mod == 2 || (mod == 0 && rm == 6) ? 2 : 0)
            return (0..<count).map { _ in UInt8(int(0...255)) }
        }
        var tail: [UInt8] = []
        if rm == 4 {
            let sib = UInt8(int(0...255))
            tail.append(sib)
            if mod == 0 && sib & 7 == 5 { count += 4 }
        }
        if mod == 1 { count += 1 }
        if mod == 2 || (mod == 0 && rm == 5) { count += 4 }
        return tail + (0..<count).map { _ in UInt8(int(0...255)) }
    }
}

/// Sign-extends the low `size` bytes (test-side copy; the interpreter's is internal).
func signExtendValue(_ value: UInt32, size: Int) -> UInt32 {
    switch size {
    case 1: UInt32(bitPattern: Int32(Int8(truncatingIfNeeded: value)))
    case 2: UInt32(bitPattern: Int32(Int16(truncatingIfNeeded: value)))
    default: value
    }
}
