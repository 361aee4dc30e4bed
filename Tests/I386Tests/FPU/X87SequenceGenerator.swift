import I386

/// Random x87 sequences for the host differential test: random initial
/// states (any control word, flags, TOP and tags, operands of every class),
/// random instructions over the whole x87 instruction set, random memory
/// operands (every format, their edge values and junk).
struct X87SequenceGenerator {
    var random: SplitMix64
    /// Set for some cases: operands near the ends of the exponent range and
    /// overflow/underflow often unmasked, so exponent-wrapped results and
    /// unwritten stores come up often.
    var stressesRange = false

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }
    mutating func chance(_ percent: Int) -> Bool { int(0...99) < percent }
    mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }
    mutating func bits() -> UInt64 { random.next() }

    // MARK: - Values

    /// A random 80-bit operand, drawn from every class and the edges.
    mutating func extendedReal() -> ExtendedReal {
        let sign: UInt16 = chance(50) ? 0x8000 : 0
        let fraction = bits() & 0x7FFF_FFFF_FFFF_FFFF
        let integer: UInt64 = 0x8000_0000_0000_0000
        if stressesRange, chance(60) {
            let exponent = chance(50) ? 0x7FFE - int(0...16400) / (1 + int(0...200)) : 1 + int(0...16400) / (1 + int(0...200))
            return ExtendedReal(significand: integer | fraction, signAndExponent: sign | UInt16(exponent))
        }
        switch int(0...29) {
        case 0...7:  // moderate normals
            return ExtendedReal(significand: integer | fraction, signAndExponent: sign | UInt16(0x3FFF + int(-70...70)))
        case 8:  // short significands (exact in single/double)
            return ExtendedReal(significand: integer | (fraction & 0x7FFF_FF00_0000_0000),
                                signAndExponent: sign | UInt16(0x3FFF + int(-20...20)))
        case 9:  // small integers and halves
            let value = int(0...40)
            return value == 0 ? ExtendedReal(significand: 0, signAndExponent: sign) : integerValue(Int64(value), sign: sign, shift: int(0...1))
        case 10:  // huge
            return ExtendedReal(significand: integer | fraction, signAndExponent: sign | UInt16(0x7FFE - int(0...40)))
        case 11:  // tiny normals
            return ExtendedReal(significand: integer | fraction, signAndExponent: sign | UInt16(1 + int(0...40)))
        case 12:  // around the single and double ranges' edges
            let edge = pick([0x3FFF + 127, 0x3FFF - 126, 0x3FFF + 1023, 0x3FFF - 1022, 0x3FFF - 149, 0x3FFF - 1074])
            return ExtendedReal(significand: integer | fraction, signAndExponent: sign | UInt16(edge + int(-2...2)))
        case 13: return ExtendedReal(significand: 0, signAndExponent: sign)
        case 14: return ExtendedReal(significand: fraction >> int(0...62), signAndExponent: sign)  // denormal
        case 15: return ExtendedReal(significand: integer | fraction, signAndExponent: sign)  // pseudo-denormal
        case 16:  // unnormal
            return ExtendedReal(significand: fraction >> int(0...3), signAndExponent: sign | UInt16(int(1...0x7FFE)))
        case 17: return ExtendedReal(significand: integer, signAndExponent: sign | 0x7FFF)  // infinity
        case 18: return ExtendedReal(significand: integer | 0x4000_0000_0000_0000 | (fraction & (chance(50) ? 0 : ~0)), signAndExponent: sign | 0x7FFF)  // QNaN
        case 19:  // SNaN
            return ExtendedReal(significand: integer | max(1, fraction & 0x3FFF_FFFF_FFFF_FFFF), signAndExponent: sign | 0x7FFF)
        case 20: return ExtendedReal(significand: fraction >> int(0...2), signAndExponent: sign | 0x7FFF)  // pseudo-NaN/-infinity
        case 21: return .indefinite
        case 22:  // integer edges
            let edge = pick([Int64(Int16.max), Int64(Int16.min), Int64(Int32.max), Int64(Int32.min), Int64.max, Int64.min,
                             999_999_999_999_999_999, -999_999_999_999_999_999, 1_000_000_000_000_000_000])
            let real = integerValue(edge, sign: 0, shift: 0)
            return int(0...2) == 0 ? real : ExtendedReal(significand: real.significand &+ UInt64(bitPattern: Int64(int(-1...1))), signAndExponent: real.signAndExponent)
        case 23:  // trigonometric edges: around multiples of π/4, and 2⁶³
            let exponent = pick([0x3FFF - 1, 0x3FFF, 0x3FFF + 1, 0x3FFF + 62, 0x3FFF + 63, 0x3FFF + 64])
            return ExtendedReal(significand: pick([0xC90F_DAA2_2168_C234, 0xC90F_DAA2_2168_C235, integer | fraction]),
                                signAndExponent: sign | UInt16(exponent))
        case 24:  // f2xm1, fyl2xp1 domains
            return ExtendedReal(significand: integer | fraction, signAndExponent: sign | UInt16(0x3FFF - int(0...66)))
        case 25:  // near 1
            return ExtendedReal(significand: chance(50) ? integer &+ UInt64(int(0...3)) : UInt64.max &- UInt64(int(0...3)),
                                signAndExponent: sign | (chance(50) ? 0x3FFF : 0x3FFE))
        default:
            return ExtendedReal(significand: bits(), signAndExponent: UInt16(truncatingIfNeeded: bits()))
        }
    }

    /// `value` × 2^-shift as an exact 80-bit value with `sign` OR-ed in.
    func integerValue(_ value: Int64, sign: UInt16, shift: Int) -> ExtendedReal {
        let magnitude = value.magnitude
        guard magnitude != 0 else { return ExtendedReal(significand: 0, signAndExponent: sign) }
        let leading = magnitude.leadingZeroBitCount
        let exponent = UInt16(0x3FFF + 63 - leading - shift)
        return ExtendedReal(significand: magnitude << leading, signAndExponent: (value < 0 ? 0x8000 : 0) | sign | exponent)
    }

    /// Operand bytes in `format`.
    mutating func operandBytes(_ format: X87MemoryFormat) -> [UInt8] {
        switch format {
        case .float32:
            let sign: UInt32 = chance(50) ? 0x8000_0000 : 0
            let fraction = UInt32(truncatingIfNeeded: bits()) & 0x7F_FFFF
            let value: UInt32
            switch int(0...9) {
            case 0...3: value = sign | UInt32(127 + int(-30...30)) << 23 | fraction
            case 4: value = sign | fraction  // denormal or zero
            case 5: value = sign | 0x7F80_0000 | (chance(30) ? 0 : fraction)  // infinity or SNaN/QNaN
            case 6: value = sign | 0x7FC0_0000 | (fraction & 0x3F_FFFF)
            case 7: value = sign | UInt32(int(1...254)) << 23 | fraction
            case 8: value = sign
            default: value = UInt32(truncatingIfNeeded: bits())
            }
            return Self.littleEndian(UInt64(value), count: 4)
        case .float64:
            let sign: UInt64 = chance(50) ? 0x8000_0000_0000_0000 : 0
            let fraction = bits() & 0xF_FFFF_FFFF_FFFF
            let value: UInt64
            switch int(0...9) {
            case 0...3: value = sign | UInt64(1023 + int(-60...60)) << 52 | fraction
            case 4: value = sign | (fraction >> int(0...50))
            case 5: value = sign | 0x7FF0_0000_0000_0000 | (chance(30) ? 0 : fraction)
            case 6: value = sign | 0x7FF8_0000_0000_0000 | (fraction & 0x7_FFFF_FFFF_FFFF)
            case 7: value = sign | UInt64(int(1...2046)) << 52 | fraction
            case 8: value = sign
            default: value = bits()
            }
            return Self.littleEndian(value, count: 8)
        case .float80:
            return extendedReal().bytes
        case .int16:
            let value = pick([0, 1, -1, 2, Int(Int16.max), Int(Int16.min), int(-300...300), int(-32768...32767)])
            return Self.littleEndian(UInt64(bitPattern: Int64(value)), count: 2)
        case .int32:
            let value = pick([0, 1, -1, Int64(Int32.max), Int64(Int32.min), Int64(int(-100_000...100_000)),
                              Int64(Int32(truncatingIfNeeded: bits())), 16_777_217, -16_777_217])
            return Self.littleEndian(UInt64(bitPattern: value), count: 4)
        case .int64:
            let value: Int64 = pick([0, 1, -1, Int64.max, Int64.min, Int64(bitPattern: bits()), Int64(int(-1000...1000)),
                              9_007_199_254_740_993, Int64.max - 1024])
            return Self.littleEndian(UInt64(bitPattern: value), count: 8)
        case .packedBCD:
            var bytes = (0..<9).map { _ in UInt8(int(0...9)) << 4 | UInt8(int(0...9)) }
            if chance(10) { bytes[int(0...8)] = UInt8(truncatingIfNeeded: bits()) }  // invalid digits
            if chance(30) { for index in int(0...8)...8 { bytes[index] = 0 } }
            bytes.append((chance(50) ? 0x80 : 0) | (chance(10) ? UInt8(int(0...0x7F)) : 0))
            return bytes
        }
    }

    static func littleEndian(_ value: UInt64, count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }

    // MARK: - Control and status words, images

    /// A control word: random masks (each masked 75% of the time), rounding
    /// and precision (PC 24, 53 or 64 bits; rarely the reserved 01), junk in
    /// the reserved bits.
    mutating func controlWord() -> UInt16 {
        var masks: UInt16 = 0
        for bit in 0..<6 where chance(75) { masks |= 1 << UInt16(bit) }
        if chance(40) { masks = 0x3F }
        if stressesRange {
            if chance(50) { masks &= ~0x08 }
            if chance(50) { masks &= ~0x10 }
        }
        let precision: UInt16 = chance(3) ? 1 : pick([0, 2, 3])
        let rounding = UInt16(int(0...3))
        let junk = UInt16(truncatingIfNeeded: bits()) & 0xF0C0
        return masks | precision << 8 | rounding << 10 | junk
    }

    /// A 28-byte environment: random control word, flags only under masks
    /// (now and then an unmasked one, which makes an exception pending at
    /// once), random C0–C3, SF, TOP and tags, junk in reserved bits; one in
    /// twenty is random bytes throughout (ES and B as they come, PC 01, any
    /// tag word), an environment no fnstenv wrote.
    mutating func environment() -> [UInt8] {
        if chance(5) { return Self.littleEndian(bits(), count: 8) + Self.littleEndian(bits(), count: 8)
            + Self.littleEndian(bits(), count: 8) + Self.littleEndian(bits(), count: 4) }
        let control = controlWord()
        var flags = UInt16(truncatingIfNeeded: bits()) & 0x3F & (chance(10) ? 0x3F : control)
        if chance(40) { flags = 0 }
        let status = flags | UInt16(truncatingIfNeeded: bits()) & 0x4780 | UInt16(int(0...7)) << 11
            | (chance(10) ? 0x40 : 0) | (chance(5) ? 0x8080 : 0)
        var tags: UInt16 = 0
        let emptiness = pick([5, 20, 50])
        for physical in 0..<8 {
            let tag: UInt16 = chance(emptiness) ? 3 : UInt16(int(0...2))
            tags |= tag << (2 * UInt16(physical))
        }
        var image = [UInt8]()
        for (word, junk) in [(control, true), (status, true), (tags, true)] {
            image += Self.littleEndian(UInt64(word), count: 2)
            image += junk && chance(80) ? [0xFF, 0xFF] : Self.littleEndian(bits(), count: 2)
        }
        image += Self.littleEndian(bits(), count: 16)  // FIP, FCS/FOP, FDP, FDS
        return image
    }

    /// A 14-byte environment of the 16-bit-operand layout (words: FCW, FSW,
    /// FTW, FIP, FCS, FDP, FDS).
    mutating func environment16() -> [UInt8] {
        let wide = environment()
        return Array(wide[0..<2] + wide[4..<6] + wide[8..<10]) + Self.littleEndian(bits(), count: 8)
    }

    /// A 108-byte frstor image.
    mutating func saveImage() -> [UInt8] {
        var image = environment()
        for _ in 0..<8 { image += extendedReal().bytes }
        return image
    }

    /// A 512-byte fxrstor image (MXCSR within what both the host and kstep accept).
    mutating func fxsaveImage() -> [UInt8] {
        let environment = environment()
        var image = Self.littleEndian(bits(), count: 512)
        image[0] = environment[0]
        image[1] = environment[1]
        image[2] = environment[4]
        image[3] = environment[5]
        image[4] = UInt8(truncatingIfNeeded: bits())
        let mxcsr = UInt64(0x1F80 | (UInt32(truncatingIfNeeded: bits()) & 0xE07F & 0xFFBF))
        image.replaceSubrange(24..<28, with: Self.littleEndian(mxcsr, count: 4))
        for index in 0..<8 {
            image.replaceSubrange((32 + 16 * index)..<(42 + 16 * index), with: extendedReal().bytes)
        }
        return image
    }

    // MARK: - Instructions

    mutating func stackIndex() -> Int { chance(50) ? int(0...2) : int(0...7) }
    mutating func eflags() -> UInt32 { UInt32(truncatingIfNeeded: bits()) & X87ComparisonFlags.writtenMask | 0x202 }

    mutating func instruction() -> X87TestInstruction {
        let formats = X87MemoryFormat.allCases
        switch int(0...109) {
        case 0...9: return .arithmeticIntoST0(pick(X87Arithmetic.allCases), stackIndex())
        case 10...19: return .arithmeticIntoST(pick(X87Arithmetic.allCases), stackIndex(), popping: chance(50))
        case 20...27: return .arithmeticWithMemory(pick(X87Arithmetic.allCases), pick([.float32, .float64, .int16, .int32]))
        case 28...30:
            let pops = pick([0, 1, 1, 2])
            return .compare(pops == 2 ? 1 : stackIndex(), unordered: chance(50), pops: pops)
        case 31...32: return .compareWithMemory(pick([.float32, .float64, .int16, .int32]), popping: chance(50))
        case 33...35: return .compareSettingFlags(stackIndex(), unordered: chance(50), popping: chance(50), eflagsBefore: eflags())
        case 36: return .test
        case 37: return .examine
        case 38...45: return .load(pick(formats))
        case 46...48: return .loadST(stackIndex())
        case 49...50: return .loadConstant(pick(X87Constant.allCases))
        case 51...58:
            let format = pick(formats)
            let onlyPopping = format == .float80 || format == .int64 || format == .packedBCD
            return .store(format, popping: onlyPopping || chance(50))
        case 59...60: return .storeST(stackIndex(), popping: chance(50))
        case 61...78: return .operation(pick(X87Operation.allCases))
        case 79...80: return .exchange(stackIndex())
        case 81...82: return .conditionalMove(condition: int(0...7), stackIndex(), eflagsBefore: eflags())
        case 83: return .free(stackIndex(), popping: chance(30))
        case 84: return chance(50) ? .incrementTop : .decrementTop
        case 85: return pick([.noOperation, .initialize, .clearExceptions])
        case 86...87: return .loadControlWord
        case 88: return pick([.storeControlWord, .storeStatusWord])
        case 89...90: return pick([.storeEnvironment, .loadEnvironment])
        case 91...92: return pick([.save, .restore])
        case 93...94: return pick([.fxsave, .fxrstor])
        case 95...99: return .operation(pick([.sine, .cosine, .sineAndCosine, .partialTangent, .partialArctangent,
                                              .twoToXMinusOne, .yLog2X, .yLog2XPlusOne]))
        case 100...102: return .storeStatusWordToAXThenSAHF
        case 103: return pick([.storeEnvironment16, .loadEnvironment16])
        case 104: return pick([.save16, .restore16])
        case 105: return pick([.wait, .legacyNop(0xE0), .legacyNop(0xE1), .legacyNop(0xE4)])
        default:
            let (escape, base) = pick([(UInt8(0xD9), UInt8(0xD8)), (0xDC, 0xD0), (0xDC, 0xD8), (0xDD, 0xC8),
                                       (0xDE, 0xD0), (0xDF, 0xC8), (0xDF, 0xD0), (0xDF, 0xD8)])
            return .alias(escape, base | UInt8(stackIndex()))
        }
    }

    /// A whole case: 1…`maximumSteps` instructions, memory filled with junk
    /// and each operand's slot with a value of its format.
    mutating func makeCase() -> X87TestCase {
        stressesRange = chance(15)
        var memory = Self.littleEndian(bits(), count: 8)
        while memory.count < X87TestCase.memorySize { memory += Self.littleEndian(bits(), count: 8) }
        var steps: [(X87TestInstruction, Int)] = []
        var prefixed = Set<Int>()
        var next = 0
        let count = chance(20) ? int(1...X87TestCase.maximumSteps) : int(1...8)
        while steps.count < count {
            var instruction = instruction()
            var size = instruction.memorySize
            if next + ((size + 15) & ~15) > X87TestCase.memorySize {
                instruction = .operation(pick(X87Operation.allCases))
                size = 0
            }
            let offset = next
            switch instruction {
            case .arithmeticWithMemory(_, let format), .compareWithMemory(let format, _), .load(let format):
                memory.replaceSubrange(offset..<(offset + size), with: operandBytes(format))
            case .loadControlWord:
                memory.replaceSubrange(offset..<(offset + 2), with: Self.littleEndian(UInt64(controlWord()), count: 2))
            case .loadEnvironment:
                memory.replaceSubrange(offset..<(offset + size), with: environment())
            case .restore:
                memory.replaceSubrange(offset..<(offset + size), with: saveImage())
            case .loadEnvironment16:
                memory.replaceSubrange(offset..<(offset + size), with: environment16())
            case .restore16:
                var image = environment16()
                for _ in 0..<8 { image += extendedReal().bytes }
                memory.replaceSubrange(offset..<(offset + size), with: image)
            case .fxrstor:
                memory.replaceSubrange(offset..<(offset + size), with: fxsaveImage())
            default:
                break
            }
            next += (size + 15) & ~15
            if size > 0, chance(25) { prefixed.insert(steps.count) }
            steps.append((instruction, offset))
        }
        return X87TestCase(image: saveImage(), memory: memory, steps: steps, segmentPrefixedSteps: prefixed)
    }
}
