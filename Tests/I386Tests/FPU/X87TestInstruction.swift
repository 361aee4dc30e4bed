import I386

/// One x87 instruction of a differential sequence: how to assemble it for the
/// host, and how to execute it through `X87State`'s API (the decoder's job,
/// done here by hand so the FPU can be tested before it is wired in).
///
/// Register forms are emitted as bytes, so GNU as's AT&T operand reversal
/// of fsub/fsubr and fdiv/fdivr cannot blur what is tested.
enum X87TestInstruction: Hashable {
    case arithmeticIntoST0(X87Arithmetic, Int)
    case arithmeticIntoST(X87Arithmetic, Int, popping: Bool)
    case arithmeticWithMemory(X87Arithmetic, X87MemoryFormat)
    case compare(Int, unordered: Bool, pops: Int)
    case compareWithMemory(X87MemoryFormat, popping: Bool)
    case compareSettingFlags(Int, unordered: Bool, popping: Bool, eflagsBefore: UInt32)
    case test
    case examine
    case load(X87MemoryFormat)
    case loadST(Int)
    case loadConstant(X87Constant)
    case store(X87MemoryFormat, popping: Bool)
    case storeST(Int, popping: Bool)
    case operation(X87Operation)
    case exchange(Int)
    /// fcmovcc: condition 0…7 is b, e, be, u, nb, ne, nbe, nu.
    case conditionalMove(condition: Int, Int, eflagsBefore: UInt32)
    case free(Int, popping: Bool)
    case incrementTop
    case decrementTop
    case noOperation
    case initialize
    case clearExceptions
    case loadControlWord
    case storeControlWord
    case storeStatusWord
    case storeEnvironment
    case loadEnvironment
    case save
    case restore
    case fxsave
    case fxrstor
    /// fnstsw %ax, then sahf: the status word's condition codes in EFLAGS.
    case storeStatusWordToAXThenSAHF
    /// The 16-bit-operand (0x66) forms of fnstenv, fldenv, fnsave and frstor.
    case storeEnvironment16
    case loadEnvironment16
    case save16
    case restore16
    /// fwait (9B).
    case wait
    /// feni, fdisi, fsetpm (DB E0, E1, E4): no-ops since the 387.
    case legacyNop(UInt8)
    /// An undocumented alias a P6 executes, as its escape byte and ModR/M:
    /// D9 D8+i, DF D0+i, DF D8+i (fstp st(i)); DC D0+i (fcom); DC D8+i and
    /// DE D0+i (fcomp); DD C8+i and DF C8+i (fxch).
    case alias(UInt8, UInt8)

    /// Bytes of memory the instruction reads or writes (0: none).
    var memorySize: Int {
        switch self {
        case .arithmeticWithMemory(_, let format), .compareWithMemory(let format, _), .load(let format),
             .store(let format, _):
            format.size
        case .loadControlWord, .storeControlWord, .storeStatusWord: 2
        case .storeEnvironment, .loadEnvironment: X87State.environmentSize
        case .save, .restore: X87State.saveSize
        case .storeEnvironment16, .loadEnvironment16: X87EnvironmentFormat.protectedMode16.size
        case .save16, .restore16: X87EnvironmentFormat.protectedMode16.saveSize
        case .fxsave, .fxrstor: X87State.fxsaveSize
        default: 0
        }
    }

    /// Byte ranges (relative to the operand) whose host contents are not
    /// comparable: the last-instruction pointers (host addresses, and AMD
    /// zeroes them in fxsave) and fxsave's MXCSR_MASK (the host's, not kstep's).
    var incomparableRanges: [Range<Int>] {
        switch self {
        case .storeEnvironment, .save: [12..<26]
        case .storeEnvironment16, .save16: [6..<14]
        case .fxsave: [6..<24, 28..<32]
        default: []
        }
    }

    /// The fields of fxsave's image where kstep (a P6) and an AMD host
    /// differ by design, even through the interpreter: FOP, FIP, FCS, FDP and
    /// FDS (AMD stores zeros unless an exception is pending, Intel stores them
    /// always; fnsave and fnstenv images compare them) and MXCSR_MASK (a P6
    /// without DAZ: 0xFFBF).
    var incomparableRangesThroughTheInterpreter: [Range<Int>] {
        if case .fxsave = self { return [6..<24, 28..<32] }
        return []
    }

    /// The EFLAGS bits the instruction writes and the test compares (0: none).
    var flagMask: UInt32 {
        switch self {
        case .compareSettingFlags: X87ComparisonFlags.writtenMask
        case .storeStatusWordToAXThenSAHF: 0xD5  // SF, ZF, AF, PF, CF from AH
        default: 0
        }
    }

    // MARK: - Assembly

    private static let arithmeticNames = ["fadd", "fmul", "fsub", "fsubr", "fdiv", "fdivr"]

    private static func index(of operation: X87Arithmetic) -> Int {
        switch operation {
        case .add: 0
        case .multiply: 1
        case .subtract: 2
        case .subtractReversed: 3
        case .divide: 4
        case .divideReversed: 5
        }
    }

    private static func bytes(_ values: UInt8...) -> String {
        ".byte " + values.map { "0x" + String($0, radix: 16) }.joined(separator: ", ")
    }

    /// The ModR/M reg field of the D8 group for an operation.
    private static func d8Field(_ operation: X87Arithmetic) -> UInt8 {
        switch operation {
        case .add: 0
        case .multiply: 1
        case .subtract: 4
        case .subtractReversed: 5
        case .divide: 6
        case .divideReversed: 7
        }
    }

    /// The ModR/M reg field of the DC/DE register groups (sub/subr and
    /// div/divr swapped relative to D8).
    private static func dcField(_ operation: X87Arithmetic) -> UInt8 {
        switch operation {
        case .add: 0
        case .multiply: 1
        case .subtractReversed: 4
        case .subtract: 5
        case .divideReversed: 6
        case .divide: 7
        }
    }

    private static func registerByte(_ field: UInt8, _ index: Int) -> UInt8 {
        0xC0 | field << 3 | UInt8(index & 7)
    }

    private static func memorySuffix(_ format: X87MemoryFormat) -> String {
        switch format {
        case .float32, .int16: "s"
        case .float64, .int32: "l"
        case .float80: "t"
        case .int64: "ll"
        case .packedBCD: ""
        }
    }

    private static func operationBytes(_ operation: X87Operation) -> UInt8 {
        switch operation {
        case .changeSign: 0xE0
        case .absoluteValue: 0xE1
        case .twoToXMinusOne: 0xF0
        case .yLog2X: 0xF1
        case .partialTangent: 0xF2
        case .partialArctangent: 0xF3
        case .extractExponentAndSignificand: 0xF4
        case .ieeePartialRemainder: 0xF5
        case .partialRemainder: 0xF8
        case .yLog2XPlusOne: 0xF9
        case .squareRoot: 0xFA
        case .sineAndCosine: 0xFB
        case .roundToInteger: 0xFC
        case .scale: 0xFD
        case .sine: 0xFE
        case .cosine: 0xFF
        }
    }

    private static func constantByte(_ constant: X87Constant) -> UInt8 {
        switch constant {
        case .one: 0xE8
        case .log2Of10: 0xE9
        case .log2OfE: 0xEA
        case .pi: 0xEB
        case .log10Of2: 0xEC
        case .lnOf2: 0xED
        case .zero: 0xEE
        }
    }

    /// The instruction as GNU as (AT&T) lines; `operand` is its memory
    /// operand's address expression.
    func assembly(operand: String) -> [String] {
        switch self {
        case .arithmeticIntoST0(let operation, let index):
            return [Self.bytes(0xD8, Self.registerByte(Self.d8Field(operation), index))]
        case .arithmeticIntoST(let operation, let index, let popping):
            return [Self.bytes(popping ? 0xDE : 0xDC, Self.registerByte(Self.dcField(operation), index))]
        case .arithmeticWithMemory(let operation, let format):
            let name = Self.arithmeticNames[Self.index(of: operation)]
            let integer = format == .int16 || format == .int32
            return [(integer ? "fi" + name.dropFirst() : name) + Self.memorySuffix(format) + " " + operand]
        case .compare(let index, let unordered, let pops):
            if pops == 2 { return [unordered ? Self.bytes(0xDA, 0xE9) : Self.bytes(0xDE, 0xD9)] }
            if unordered { return [Self.bytes(0xDD, Self.registerByte(pops == 1 ? 5 : 4, index))] }
            return [Self.bytes(0xD8, Self.registerByte(pops == 1 ? 3 : 2, index))]
        case .compareWithMemory(let format, let popping):
            let integer = format == .int16 || format == .int32
            return [(integer ? "ficom" : "fcom") + (popping ? "p" : "") + Self.memorySuffix(format) + " " + operand]
        case .compareSettingFlags(let index, let unordered, let popping, let eflags):
            return ["pushl $0x" + String(eflags, radix: 16), "popfl",
                    Self.bytes(popping ? 0xDF : 0xDB, Self.registerByte(unordered ? 5 : 6, index))]
        case .test: return [Self.bytes(0xD9, 0xE4)]
        case .examine: return [Self.bytes(0xD9, 0xE5)]
        case .load(let format):
            switch format {
            case .float32, .float64, .float80: return ["fld" + Self.memorySuffix(format) + " " + operand]
            case .int16, .int32, .int64: return ["fild" + Self.memorySuffix(format) + " " + operand]
            case .packedBCD: return ["fbld " + operand]
            }
        case .loadST(let index): return [Self.bytes(0xD9, Self.registerByte(0, index))]
        case .loadConstant(let constant): return [Self.bytes(0xD9, Self.constantByte(constant))]
        case .store(let format, let popping):
            let pop = popping ? "p" : ""
            switch format {
            case .float32, .float64, .float80: return ["fst" + pop + Self.memorySuffix(format) + " " + operand]
            case .int16, .int32, .int64: return ["fist" + pop + Self.memorySuffix(format) + " " + operand]
            case .packedBCD: return ["fbstp " + operand]
            }
        case .storeST(let index, let popping):
            return [Self.bytes(0xDD, Self.registerByte(popping ? 3 : 2, index))]
        case .operation(let operation): return [Self.bytes(0xD9, Self.operationBytes(operation))]
        case .exchange(let index): return [Self.bytes(0xD9, Self.registerByte(1, index))]
        case .conditionalMove(let condition, let index, let eflags):
            return ["pushl $0x" + String(eflags, radix: 16), "popfl",
                    Self.bytes(condition < 4 ? 0xDA : 0xDB, Self.registerByte(UInt8(condition & 3), index))]
        case .free(let index, let popping): return [Self.bytes(popping ? 0xDF : 0xDD, Self.registerByte(0, index))]
        case .incrementTop: return [Self.bytes(0xD9, 0xF7)]
        case .decrementTop: return [Self.bytes(0xD9, 0xF6)]
        case .noOperation: return [Self.bytes(0xD9, 0xD0)]
        case .initialize: return [Self.bytes(0xDB, 0xE3)]
        case .clearExceptions: return [Self.bytes(0xDB, 0xE2)]
        case .loadControlWord: return ["fldcw " + operand]
        case .storeControlWord: return ["fnstcw " + operand]
        case .storeStatusWord: return ["fnstsw " + operand]
        case .storeEnvironment: return ["fnstenv " + operand]
        case .loadEnvironment: return ["fldenv " + operand]
        case .save: return ["fnsave " + operand]
        case .restore: return ["frstor " + operand]
        case .fxsave: return ["fxsave " + operand]
        case .fxrstor: return ["fxrstor " + operand]
        case .storeStatusWordToAXThenSAHF: return ["fnstsw %ax", "sahf"]
        case .storeEnvironment16: return [Self.bytes(0x66), "fnstenv " + operand]
        case .loadEnvironment16: return [Self.bytes(0x66), "fldenv " + operand]
        case .save16: return [Self.bytes(0x66), "fnsave " + operand]
        case .restore16: return [Self.bytes(0x66), "frstor " + operand]
        case .wait: return [Self.bytes(0x9B)]
        case .legacyNop(let low): return [Self.bytes(0xDB, low)]
        case .alias(let escape, let modRM): return [Self.bytes(escape, modRM)]
        }
    }

    /// A short name for coverage counts.
    var mnemonic: String {
        switch self {
        case .arithmeticIntoST0(let operation, _): return Self.arithmeticNames[Self.index(of: operation)] + " st0,sti"
        case .arithmeticIntoST(let operation, _, let popping):
            return Self.arithmeticNames[Self.index(of: operation)] + (popping ? "p" : "") + " sti,st0"
        case .arithmeticWithMemory(let operation, let format):
            return Self.arithmeticNames[Self.index(of: operation)] + " \(format)"
        case .compare(_, let unordered, let pops):
            return (unordered ? "fucom" : "fcom") + String(repeating: "p", count: pops)
        case .compareWithMemory(let format, let popping): return "fcom" + (popping ? "p" : "") + " \(format)"
        case .compareSettingFlags(_, let unordered, let popping, _):
            return (unordered ? "fucomi" : "fcomi") + (popping ? "p" : "")
        case .test: return "ftst"
        case .examine: return "fxam"
        case .load(let format): return "load \(format)"
        case .loadST: return "fld sti"
        case .loadConstant(let constant): return "fld \(constant)"
        case .store(let format, let popping): return "store\(popping ? "p" : "") \(format)"
        case .storeST(_, let popping): return popping ? "fstp sti" : "fst sti"
        case .operation(let operation): return "\(operation)"
        case .exchange: return "fxch"
        case .conditionalMove(let condition, _, _): return ["fcmovb", "fcmove", "fcmovbe", "fcmovu", "fcmovnb", "fcmovne", "fcmovnbe", "fcmovnu"][condition & 7]
        case .free(_, let popping): return popping ? "ffreep" : "ffree"
        case .incrementTop: return "fincstp"
        case .decrementTop: return "fdecstp"
        case .noOperation: return "fnop"
        case .initialize: return "fninit"
        case .clearExceptions: return "fnclex"
        case .loadControlWord: return "fldcw"
        case .storeControlWord: return "fnstcw"
        case .storeStatusWord: return "fnstsw"
        case .storeEnvironment: return "fnstenv"
        case .loadEnvironment: return "fldenv"
        case .save: return "fnsave"
        case .restore: return "frstor"
        case .fxsave: return "fxsave"
        case .fxrstor: return "fxrstor"
        case .storeStatusWordToAXThenSAHF: return "fnstsw ax+sahf"
        case .storeEnvironment16: return "fnstenv16"
        case .loadEnvironment16: return "fldenv16"
        case .save16: return "fnsave16"
        case .restore16: return "frstor16"
        case .wait: return "fwait"
        case .legacyNop(let low): return ["feni", "fdisi", "", "", "fsetpm"][Int(low & 7)]
        case .alias(let escape, let modRM):
            switch (escape, modRM & 0xF8) {
            case (0xD9, 0xD8): return "fstp1"
            case (0xDC, 0xD0): return "fcom2"
            case (0xDC, 0xD8): return "fcomp3"
            case (0xDD, 0xC8): return "fxch4"
            case (0xDE, 0xD0): return "fcomp5"
            case (0xDF, 0xC8): return "fxch7"
            case (0xDF, 0xD0): return "fstp8"
            default: return "fstp9"
            }
        }
    }

    // MARK: - Execution through X87State

    /// Whether fcmovcc's condition holds for `eflags`.
    static func conditionHolds(_ condition: Int, eflags: UInt32) -> Bool {
        let carry = eflags & 0x01 != 0, zero = eflags & 0x40 != 0, parity = eflags & 0x04 != 0
        let base: Bool
        switch condition & 3 {
        case 0: base = carry
        case 1: base = zero
        case 2: base = carry || zero
        default: base = parity
        }
        return condition < 4 ? base : !base
    }

    /// Executes the instruction on `state`, with its memory operand at
    /// `memory[offset...]` and EFLAGS in `eflags`.
    func execute(on state: inout X87State, memory: inout [UInt8], offset: Int, eflags: inout UInt32) throws {
        func operand(_ format: X87MemoryFormat) -> X87MemoryOperand {
            X87MemoryOperand(format: format, bytes: memory[offset..<(offset + format.size)])
        }
        func write(_ bytes: [UInt8]) {
            memory.replaceSubrange(offset..<(offset + bytes.count), with: bytes)
        }
        switch self {
        case .arithmeticIntoST0(let operation, let index): state.apply(operation, toST0WithST: index)
        case .arithmeticIntoST(let operation, let index, let popping): state.apply(operation, toST: index, popping: popping)
        case .arithmeticWithMemory(let operation, let format): state.apply(operation, toST0With: operand(format))
        case .compare(let index, let unordered, let pops): state.compare(st0WithST: index, unordered: unordered, pops: pops)
        case .compareWithMemory(let format, let popping): state.compare(st0With: operand(format), popping: popping)
        case .compareSettingFlags(let index, let unordered, let popping, let before):
            eflags = state.compareSettingFlags(st0WithST: index, unordered: unordered, popping: popping, eflags: before)
        case .test: state.test()
        case .examine: state.examine()
        case .load(let format): state.load(operand(format))
        case .loadST(let index): state.load(st: index)
        case .loadConstant(let constant): state.load(constant)
        case .store(let format, let popping):
            if let value = state.store(as: format, popping: popping) { write(value.bytes) }
        case .storeST(let index, let popping): state.store(toST: index, popping: popping)
        case .operation(let operation): state.perform(operation)
        case .exchange(let index): state.exchange(withST: index)
        case .conditionalMove(let condition, let index, let before):
            eflags = before
            state.conditionalMove(fromST: index, if: Self.conditionHolds(condition, eflags: before))
        case .free(let index, let popping): state.free(st: index, popping: popping)
        case .incrementTop: state.incrementStackTop()
        case .decrementTop: state.decrementStackTop()
        case .noOperation: break
        case .initialize: state.initialize()
        case .clearExceptions: state.clearExceptions()
        case .loadControlWord: state.loadControlWord(UInt16(memory[offset]) | UInt16(memory[offset + 1]) << 8)
        case .storeControlWord:
            write([UInt8(truncatingIfNeeded: state.controlWord.rawValue), UInt8(state.controlWord.rawValue >> 8)])
        case .storeStatusWord:
            write([UInt8(truncatingIfNeeded: state.statusWord.rawValue), UInt8(state.statusWord.rawValue >> 8)])
        case .storeEnvironment: write(state.storeEnvironment())
        case .loadEnvironment: state.loadEnvironment(Array(memory[offset..<(offset + X87State.environmentSize)]))
        case .save: write(state.save())
        case .restore: state.restore(Array(memory[offset..<(offset + X87State.saveSize)]))
        case .fxsave: write(state.fxsaveImage())
        case .fxrstor: try state.restoreFXSAVEImage(Array(memory[offset..<(offset + X87State.fxsaveSize)]))
        case .storeStatusWordToAXThenSAHF:
            eflags = (eflags & ~0xD5) | UInt32(state.statusWord.rawValue >> 8) & 0xD5
        case .storeEnvironment16: write(state.storeEnvironment(format: .protectedMode16))
        case .loadEnvironment16:
            state.loadEnvironment(Array(memory[offset..<(offset + 14)]), format: .protectedMode16)
        case .save16: write(state.save(format: .protectedMode16))
        case .restore16: state.restore(Array(memory[offset..<(offset + 94)]), format: .protectedMode16)
        case .wait, .legacyNop: break
        case .alias(let escape, let modRM):
            let index = Int(modRM & 7)
            switch (escape, modRM & 0xF8) {
            case (0xDC, 0xD0): state.compare(st0WithST: index)
            case (0xDC, 0xD8), (0xDE, 0xD0): state.compare(st0WithST: index, pops: 1)
            case (0xDD, 0xC8), (0xDF, 0xC8): state.exchange(withST: index)
            default: state.store(toST: index, popping: true)
            }
        }
    }
}
