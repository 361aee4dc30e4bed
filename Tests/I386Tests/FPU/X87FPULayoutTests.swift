import I386
import Testing

/// The fnstenv/fldenv, fnsave/frstor and fxsave/fxrstor images: every field at
/// the SDM's offset (32-bit protected-mode layouts), reserved fields as
/// documented on `X87State`, round trips, and what a load ignores.
@Suite struct X87FPULayoutTests {
    typealias T = X87TestState
    static let pi = ExtendedReal(significand: 0xC90F_DAA2_2168_C235, signAndExponent: 0x4000)
    static let pointers = X87InstructionPointers(instructionOffset: 0x1234_5678, instructionSelector: 0x0060,
                                                 opcode: 0xFDD9, operandOffset: 0x9ABC_DEF0, operandSelector: 0x0068)

    /// ST(0) = 1.0 in R7, ST(1) = +0 in R0, ST(2) = π in R1, ST(3) = a
    /// denormal in R2, the rest empty; control word 0x0C72 (RC toward zero,
    /// PC 24 bits, IE/ZE/OE unmasked); C3, C1 and PE set.
    static func sample() -> X87State {
        var state = T.make([T.one, .zero, pi, T.denormal], top: 7, control: 0x0C72, status: 0x4220)
        state.lastInstruction = pointers
        return state
    }

    static func word(_ bytes: [UInt8], _ offset: Int) -> UInt16 { UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8 }

    static func doubleword(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(word(bytes, offset)) | UInt32(word(bytes, offset + 2)) << 16
    }

    @Test func controlAndStatusWordsOfTheSample() {
        let state = Self.sample()
        #expect(state.controlWord.rawValue == 0x0C72)
        #expect(state.controlWord.rounding == .towardZero && state.controlWord.precision == .single)
        #expect(state.statusWord.rawValue == 0x7A20)
        #expect(!state.isExceptionPending)
        #expect(state.tagWord == 0x3FE1)  // R7 valid 00, R0 zero 01, R1 valid 00, R2 special 10, others empty
    }

    @Test func fnstenvPutsEachFieldAtItsOffset() {
        var state = Self.sample()
        let image = state.storeEnvironment()
        #expect(image.count == 28)
        #expect(image == [0x72, 0x0C, 0xFF, 0xFF, 0x20, 0x7A, 0xFF, 0xFF, 0xE1, 0x3F, 0xFF, 0xFF,
                          0x78, 0x56, 0x34, 0x12, 0x60, 0x00, 0xD9, 0x05, 0xF0, 0xDE, 0xBC, 0x9A,
                          0x68, 0x00, 0xFF, 0xFF])
        // fnstenv then masks every exception.
        #expect(state.controlWord.rawValue == 0x0C7F)
    }

    @Test func fnstenvMasksAPendingExceptionAway() {
        var state = T.make([T.one], control: T.control(unmasking: .zeroDivide), status: 0x0004)
        #expect(state.isExceptionPending)
        _ = state.storeEnvironment()
        #expect(!state.isExceptionPending && state.statusWord.rawValue & 0x8080 == 0)
    }

    @Test func fnsaveIsTheEnvironmentThenST0ToST7ThenInitializes() {
        var state = Self.sample()
        let environment = { var copy = Self.sample(); return copy.storeEnvironment() }()
        let image = state.save()
        #expect(image.count == 108)
        #expect(Array(image[0..<28]) == environment)
        #expect(Array(image[28..<38]) == T.one.bytes)
        #expect(Array(image[38..<48]) == ExtendedReal.zero.bytes)
        #expect(Array(image[48..<58]) == Self.pi.bytes)
        #expect(Array(image[58..<68]) == T.denormal.bytes)
        // ...and the state is fninit's, registers kept.
        #expect(state.controlWord.rawValue == 0x037F && state.statusWord.rawValue == 0 && state.tagWord == 0xFFFF)
        #expect(state.lastInstruction == .cleared)
        #expect(state.physicalRegisters[7] == T.one && state.physicalRegisters[1] == Self.pi)
    }

    @Test func frstorOfFnsaveRestoresTheState() {
        let original = Self.sample()
        var saved = original
        let image = saved.save()
        var restored = X87State()
        restored.restore(image)
        #expect(restored == original)
    }

    @Test func fldenvReadsOnlyEmptinessFromTheTagWordAndRecomputesES() {
        var state = T.make([T.one, T.two, nil])
        // Tags claim R5 "special" and R6 "zero" (both hold normals), R7 empty;
        // ES and B set with nothing unmasked; junk in the reserved words.
        var image = [UInt8](repeating: 0, count: 28)
        image.replaceSubrange(0..<4, with: [0x7F, 0x03, 0x12, 0x34])
        image.replaceSubrange(4..<8, with: [0x81, 0xA8, 0x56, 0x78])  // IE, ES, B, TOP 5
        image.replaceSubrange(8..<12, with: [0xFF, 0xD7, 0x9A, 0xBC])  // R0–R4 11, R5 01, R6 01, R7 11
        state.loadEnvironment(image)
        #expect(state.statusWord.rawValue == 0x2801)
        #expect(!state.isExceptionPending)
        #expect(!state.isEmpty(st: 0) && !state.isEmpty(st: 1) && state.isEmpty(st: 2))
        #expect(state.tagWord == 0xC3FF)  // recomputed from the contents: R5, R6 valid

        // An unmasked flag with ES clear in the image is pending after the load.
        image.replaceSubrange(0..<2, with: [0x7E, 0x03])
        image.replaceSubrange(4..<6, with: [0x01, 0x28])
        state.loadEnvironment(image)
        #expect(state.isExceptionPending && state.statusWord.rawValue == 0xA881)
    }

    @Test func fldcwNormalizesAndCanMakeAnExceptionPending() {
        var state = X87State()
        state.loadControlWord(0xFFFF)
        #expect(state.controlWord.rawValue == 0x1F7F)
        state.loadControlWord(0x0000)
        #expect(state.controlWord.rawValue == 0x0040)
        var flagged = T.make([T.one], status: 0x0004)
        flagged.loadControlWord(0x037B)
        #expect(flagged.isExceptionPending && flagged.statusWord.rawValue & 0x8080 == 0x8080)
    }

    @Test func fninitAndFnclex() {
        var state = Self.sample()
        state.clearExceptions()
        #expect(state.statusWord.rawValue == 0x7A00)
        state.initialize()
        #expect(state.controlWord.rawValue == 0x037F && state.statusWord.rawValue == 0 && state.tagWord == 0xFFFF)
        #expect(state.physicalRegisters[1] == Self.pi)
    }

    @Test func tagsFollowTheContents() {
        let expectations: [(ExtendedReal, X87Tag, ExtendedRealClass)] = [
            (.zero, .zero, .zero),
            (ExtendedReal(significand: 0, signAndExponent: 0x8000), .zero, .zero),
            (T.one, .valid, .normal),
            (T.denormal, .special, .denormal),
            (ExtendedReal(significand: 0x8000_0000_0000_0001, signAndExponent: 0), .special, .pseudoDenormal),
            (ExtendedReal(significand: 0x4000_0000_0000_0000, signAndExponent: 0x3FFF), .special, .unnormal),
            (ExtendedReal(significand: 0x8000_0000_0000_0000, signAndExponent: 0x7FFF), .special, .infinity),
            (ExtendedReal(significand: 0, signAndExponent: 0xFFFF), .special, .pseudoInfinity),
            (.indefinite, .special, .quietNaN),
            (ExtendedReal(significand: 0x8000_0000_0000_0001, signAndExponent: 0x7FFF), .special, .signalingNaN),
            (ExtendedReal(significand: 0x4000_0000_0000_0000, signAndExponent: 0x7FFF), .special, .pseudoNaN),
        ]
        for (value, tag, classification) in expectations {
            #expect(value.tag == tag, "\(value)")
            #expect(value.classification == classification, "\(value)")
        }
    }

    @Test func fxsavePutsEachFieldAtItsOffset() {
        var state = Self.sample()
        state.mxcsr = 0x1F85
        state.xmmArea = (0..<128).map { UInt8($0) }
        let image = state.fxsaveImage()
        #expect(image.count == 288)
        #expect(Self.word(image, 0) == 0x0C72)
        #expect(Self.word(image, 2) == 0x7A20)
        #expect(image[4] == 0x87)  // R0, R1, R2, R7 not empty
        #expect(image[5] == 0)
        #expect(Self.word(image, 6) == 0x05D9)
        #expect(Self.doubleword(image, 8) == 0x1234_5678)
        #expect(Self.word(image, 12) == 0x0060 && Self.word(image, 14) == 0)
        #expect(Self.doubleword(image, 16) == 0x9ABC_DEF0)
        #expect(Self.word(image, 20) == 0x0068 && Self.word(image, 22) == 0)
        #expect(Self.doubleword(image, 24) == 0x1F85)
        #expect(Self.doubleword(image, 28) == 0xFFBF)
        #expect(Array(image[32..<48]) == T.one.bytes + [0, 0, 0, 0, 0, 0])
        #expect(Array(image[48..<58]) == ExtendedReal.zero.bytes)
        #expect(Array(image[64..<74]) == Self.pi.bytes)
        #expect(Array(image[80..<90]) == T.denormal.bytes)
        #expect(Array(image[160..<288]) == (0..<128).map { UInt8($0) })
        // fxsave does not initialize.
        #expect(state == { var copy = Self.sample(); copy.mxcsr = 0x1F85; copy.xmmArea = (0..<128).map { UInt8($0) }; return copy }())
    }

    @Test func fxrstorOfFxsaveRestoresTheState() throws {
        var original = Self.sample()
        original.mxcsr = 0x1FA0
        let image = original.fxsaveImage() + [UInt8](repeating: 0xEE, count: 512 - 288)
        var restored = X87State()
        try restored.restoreFXSAVEImage(image)
        #expect(restored == original)
    }

    @Test func fxrstorRefusesReservedMXCSRBitsAndLoadsNothing() {
        var image = Self.sample().fxsaveImage() + [UInt8](repeating: 0, count: 224)
        image.replaceSubrange(24..<28, with: [0xC0, 0x1F, 0x00, 0x00])  // DAZ (bit 6) is outside 0xFFBF
        var state = X87State()
        let before = state
        #expect(throws: X87StateError.reservedMXCSRBits(0x1FC0)) { try state.restoreFXSAVEImage(image) }
        #expect(state == before)
    }

    @Test func fxrstorTagBitsAndReservedFields() throws {
        var image = [UInt8](repeating: 0xA5, count: 512)
        image.replaceSubrange(0..<4, with: [0x7F, 0x03, 0x00, 0x38])  // TOP 7
        image[4] = 0x81  // R0 and R7
        image.replaceSubrange(24..<28, with: [0x80, 0x1F, 0, 0])
        var state = X87State()
        try state.restoreFXSAVEImage(image)
        #expect(state.top == 7 && !state.isEmpty(st: 0) && !state.isEmpty(st: 1) && state.isEmpty(st: 2))
        #expect(state.lastInstruction.opcode == 0x05A5)  // FOP keeps 11 bits
        #expect(state.st(0) == ExtendedReal(bytes: [UInt8](repeating: 0xA5, count: 10)))
    }

    @Test func resetAndInitialStates() {
        let reset = X87State.afterReset
        #expect(reset.controlWord.rawValue == 0x0040 && reset.statusWord.rawValue == 0 && reset.tagWord == 0x5555)
        let initial = X87State()
        #expect(initial.controlWord.rawValue == 0x037F && initial.tagWord == 0xFFFF && initial.mxcsr == 0x1F80)
    }

    @Test func shortImagesReadAsZeros() {
        var state = Self.sample()
        state.restore([0x7F, 0x03])
        #expect(state.controlWord.rawValue == 0x037F && state.statusWord.rawValue == 0)
        #expect(state.tagWord == 0x5555)  // tag 00 everywhere: all non-empty, all +0
    }
}
