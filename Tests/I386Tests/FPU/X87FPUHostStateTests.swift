import I386
import Testing

/// The CX87 shim borrows the host's x87 for one instruction at a time and
/// must give it back as it found it: the control word restored, the stack
/// empty, no exception pending. Swift's own `Float80` runs on the same x87,
/// so it is the witness: after hundreds of guest instructions under hostile
/// control words (everything unmasked, 24-bit precision, rounding up) that
/// raise every exception, host `Float80` arithmetic must still round to 64
/// bits to nearest and must not trap or see a full stack.
@Suite struct X87FPUHostStateTests {
    typealias T = X87TestState

    #if arch(x86_64) || arch(i386)
    @Test func theHostX87IsLeftAsItWasFound() {
        let hostile: UInt16 = 0x0840  // all unmasked, PC 24 bits, round up
        for round in 0..<40 {
            var state = T.make([X87FPUExceptionResponseTests.huge, .zero, .indefinite, T.denormal, T.one],
                               control: hostile)
            state.apply(.multiply, toST0WithST: 0)  // overflow, unmasked
            state.loadControlWord(hostile)
            state.apply(.divide, toST0WithST: 1)
            state.perform(.partialTangent)
            state.perform(.sineAndCosine)
            state.perform(.extractExponentAndSignificand)
            _ = state.compareSettingFlags(st0WithST: 2, eflags: 0)
            _ = state.storeInt16(popping: true)
            state.load(.float32(0x0000_0001))
            #expect(state.statusWord.rawValue & 0x80 != 0, "round \(round)")

            let numerator = Float80(round + 1), denominator = Float80(3 * (round + 1))
            let third = numerator / denominator
            #expect(third.significandBitPattern == 0x2AAA_AAAA_AAAA_AAAB && third.exponent == -2, "round \(round)")
        }
    }
    #endif
}
