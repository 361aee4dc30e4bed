/// The six x87 arithmetic operations, as "destination ← destination op
/// source": `.subtract` is destination − source and `.subtractReversed` is
/// source − destination, whichever register or memory operand each is.
///
/// (In the DC and DE opcode groups the encodings of fsub/fsubr and fdiv/fdivr
/// are the other way round from D8, and GNU as's AT&T mnemonics for them are
/// reversed again; the decoder must map the encoding to the meaning.)
public enum X87Arithmetic: Hashable, Sendable, CaseIterable {
    /// fadd, faddp, fiadd.
    case add
    /// fmul, fmulp, fimul.
    case multiply
    /// fsub, fsubp, fisub: destination − source.
    case subtract
    /// fsubr, fsubrp, fisubr: source − destination.
    case subtractReversed
    /// fdiv, fdivp, fidiv: destination ÷ source.
    case divide
    /// fdivr, fdivrp, fidivr: source ÷ destination.
    case divideReversed
}
