import I386
import Testing

/// What masked and unmasked numeric exceptions deliver (SDM Vol. 1 §8.5;
/// the values were measured on the host x87): unmasked invalid, denormal and
/// zero-divide exceptions write nothing and pop nothing; unmasked overflow
/// and underflow deliver an exponent-wrapped result to a register (and pop)
/// but store nothing to memory (and do not pop); an unmasked precision
/// exception changes nothing about the result. Each unmasked one leaves an
/// exception pending.
@Suite struct X87FPUExceptionResponseTests {
    typealias T = X87TestState
    /// 1e4000 and 1e-4000 as the host's long double.
    static let huge = ExtendedReal(significand: 0xD1BA_8323_FE55_8C61, signAndExponent: 0x73E6)
    static let tiny = ExtendedReal(significand: 0x9C3D_7386_4F38_05C0, signAndExponent: 0x0C17)
    static let pi = ExtendedReal(significand: 0xC90F_DAA2_2168_C235, signAndExponent: 0x4000)

    @Test func unmaskedOverflowWrapsTheExponentAndPops() {
        var state = T.make([Self.huge, Self.huge], control: T.control(unmasking: .overflow))
        state.apply(.multiply, toST: 1, popping: true)
        #expect(state.top == 6)
        #expect(state.st(0) == ExtendedReal(significand: 0xABD2_1203_98C3_1EE1, signAndExponent: 0x47CE))
        #expect(state.statusWord.exceptions == [.overflow, .precision])
        #expect(state.isExceptionPending)
    }

    @Test func maskedOverflowDeliversInfinity() {
        var state = T.make([Self.huge, Self.huge])
        state.apply(.multiply, toST0WithST: 1)
        #expect(state.st(0) == ExtendedReal(significand: 0x8000_0000_0000_0000, signAndExponent: 0x7FFF))
        #expect(state.statusWord.exceptions == [.overflow, .precision] && state.statusWord.c1)
        #expect(!state.isExceptionPending)
    }

    @Test func unmaskedUnderflowWrapsTheExponent() {
        var state = T.make([Self.tiny, Self.tiny], control: T.control(unmasking: .underflow))
        state.apply(.multiply, toST: 1, popping: true)
        #expect(state.st(0) == ExtendedReal(significand: 0xBEB5_E717_E55F_F2B0, signAndExponent: 0x382F))
        #expect(state.statusWord.exceptions.contains(.underflow) && state.isExceptionPending)
    }

    @Test func unmaskedZeroDivideWritesNothing() {
        var state = T.make([.zero, T.one], control: T.control(unmasking: .zeroDivide))
        state.apply(.divide, toST: 1, popping: true)  // ST(1) ← 1 ÷ 0
        #expect(state.top == 5 && state.st(0) == .zero && state.st(1) == T.one)
        #expect(state.statusWord.exceptions == .zeroDivide && state.isExceptionPending)
    }

    @Test func unmaskedInvalidWritesNothing() {
        let infinity = ExtendedReal(significand: 0x8000_0000_0000_0000, signAndExponent: 0x7FFF)
        var state = T.make([infinity.negated, infinity], control: T.control(unmasking: .invalidOperation))
        state.apply(.add, toST: 1, popping: true)
        #expect(state.top == 5 && state.st(1) == infinity)
        #expect(state.statusWord.exceptions == .invalidOperation && !state.statusWord.stackFault)
    }

    @Test func storesWithUnmaskedOverflowOrUnderflowWriteNothing() {
        var overflow = T.make([Self.huge, T.one], control: T.control(unmasking: .overflow))
        #expect(overflow.storeFloat32(popping: true) == nil)
        #expect(overflow.top == 5 && overflow.isExceptionPending)

        var underflow = T.make([Self.tiny], control: T.control(unmasking: .underflow))
        #expect(underflow.storeFloat64(popping: true) == nil)
        #expect(underflow.statusWord.exceptions == .underflow)

        var masked = T.make([Self.huge, T.one])
        #expect(masked.storeFloat32(popping: true) == 0x7F80_0000)
        #expect(masked.top == 6 && masked.statusWord.exceptions == [.overflow, .precision])
    }

    @Test func integerStoresAndTheIntegerIndefinite() {
        var masked = T.make([Self.huge])
        #expect(masked.storeInt32(popping: false) == Int32.min)
        #expect(masked.statusWord.exceptions == .invalidOperation)

        var unmasked = T.make([Self.huge], control: T.control(unmasking: .invalidOperation))
        #expect(unmasked.storeInt16(popping: true) == nil)
        #expect(unmasked.top == 5)

        var inexact = T.make([Self.pi], control: T.control(unmasking: .precision))
        #expect(inexact.storeInt32(popping: true) == 3)
        #expect(inexact.top == 6 && inexact.isExceptionPending)
    }

    @Test func roundingControlReachesTheHost() {
        for (rounding, expected) in [(0x0000, UInt64(0xC90F_DAA2_2168_C235)), (0x0400, 0xC90F_DAA2_2168_C234),
                                     (0x0800, 0xC90F_DAA2_2168_C235), (0x0C00, 0xC90F_DAA2_2168_C234)] {
            var state = T.make([], control: 0x037F | UInt16(rounding))
            state.load(.pi)
            #expect(state.st(0).significand == expected)
        }
        var single = T.make([Self.pi, T.three], control: 0x007F)  // PC 24 bits, round to nearest
        single.apply(.divide, toST0WithST: 1)
        #expect(single.st(0).significand & 0xFF_FFFF_FFFF == 0)
    }
}
