/// The six x87 floating-point exceptions, in the bit positions they have in
/// both the status word (flags) and the control word (masks).
public struct X87Exceptions: OptionSet, Hashable, Sendable {
    /// The bits, 0…0x3F.
    public var rawValue: UInt16

    /// The set with these bits (bits above 5 are dropped).
    public init(rawValue: UInt16) { self.rawValue = rawValue & 0x3F }

    /// IE: invalid operation (including stack overflow and underflow, with SF).
    public static let invalidOperation = X87Exceptions(rawValue: 0x01)
    /// DE: a denormal operand.
    public static let denormalOperand = X87Exceptions(rawValue: 0x02)
    /// ZE: division of a finite non-zero value by zero (and fxtract, fyl2x of zero).
    public static let zeroDivide = X87Exceptions(rawValue: 0x04)
    /// OE: the rounded result is too large for the destination format.
    public static let overflow = X87Exceptions(rawValue: 0x08)
    /// UE: the result is tiny (and, when masked, inexact).
    public static let underflow = X87Exceptions(rawValue: 0x10)
    /// PE: the result is inexact.
    public static let precision = X87Exceptions(rawValue: 0x20)

    /// All six.
    public static let all = X87Exceptions(rawValue: 0x3F)

    /// The exceptions that, unmasked, stop an instruction before it writes
    /// its destination or pops (SDM Vol. 1 §8.5: the pre-computation
    /// exceptions). Unmasked overflow, underflow and precision exceptions
    /// are post-computation: the result is delivered (to a register, with its
    /// exponent wrapped; see `X87State`) and the stack is popped.
    public static let preventingRegisterResult: X87Exceptions = [.invalidOperation, .denormalOperand, .zeroDivide]

    /// The exceptions that, unmasked, keep a store to memory from writing or
    /// popping: no memory format can hold an exponent-wrapped result, so
    /// overflow and underflow join the invalid operation here (checked on the
    /// host; precision alone still stores and pops).
    public static let preventingMemoryResult: X87Exceptions = [.invalidOperation, .denormalOperand, .zeroDivide,
                                                               .overflow, .underflow]
}
