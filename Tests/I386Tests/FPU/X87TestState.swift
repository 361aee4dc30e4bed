import I386

/// Builds `X87State`s for table tests through frstor, the way a guest would.
enum X87TestState {
    static let one = ExtendedReal.one
    static let two = ExtendedReal(significand: 0x8000_0000_0000_0000, signAndExponent: 0x4000)
    static let three = ExtendedReal(significand: 0xC000_0000_0000_0000, signAndExponent: 0x4000)
    static let minusOne = ExtendedReal.one.negated
    static let denormal = ExtendedReal(significand: 0x1234, signAndExponent: 0)

    /// A state whose ST(0)…ST(7) hold `stack` (nil: empty), with TOP
    /// `top`, control word `control` and status word `status` (TOP bits
    /// replaced).
    static func make(_ stack: [ExtendedReal?], top: Int = 5, control: UInt16 = 0x037F,
                     status: UInt16 = 0) -> X87State {
        var tags: UInt16 = 0
        var registers = [UInt8]()
        for index in 0..<8 {
            let value = index < stack.count ? stack[index] : nil
            let physical = (top + index) & 7
            tags |= (value == nil ? 3 : 0) << (2 * UInt16(physical))
            registers += (value ?? .zero).bytes
        }
        let statusWord = (status & ~0x3800) | UInt16(top) << 11
        var image = [UInt8]()
        for word in [control, statusWord, tags] { image += [UInt8(word & 0xFF), UInt8(word >> 8), 0xFF, 0xFF] }
        image += [UInt8](repeating: 0, count: 16)
        var state = X87State()
        state.restore(image + registers)
        return state
    }

    /// The control word with every exception masked but `unmasked`.
    static func control(unmasking unmasked: X87Exceptions = []) -> UInt16 {
        0x037F & ~unmasked.rawValue
    }
}
