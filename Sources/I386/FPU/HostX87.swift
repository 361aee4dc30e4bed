internal import CX87

/// The bridge to the CX87 shim: runs one x87 instruction form on the host's
/// x87 under the guest's control word and condition codes (see
/// `Sources/CX87/include/cx87.h` for the technique).
enum HostX87 {
    /// What the host's x87 did.
    struct Outcome {
        /// The host stack after the instruction, ST(0) first.
        var stack: [ExtendedReal]
        /// What a store to memory wrote.
        var memory: ExtendedReal
        /// The status word after the instruction: its exception flags, C0–C3, ES.
        var status: X87StatusWord
        /// EFLAGS after fcomi/fucomi (from the flags passed in).
        var eflags: UInt32

        /// The host register `index` after the instruction, or the indefinite
        /// if the instruction left fewer (never, for the forms kstep uses).
        func register(_ index: Int) -> ExtendedReal {
            index < stack.count ? stack[index] : .indefinite
        }
    }

    /// Runs `operation` with `st0`/`st1` as the host's ST(0)/ST(1) (as many as
    /// the form reads), `memory` as its memory operand, and (for fcomi and
    /// fucomi) `eflags` as EFLAGS before.
    static func execute(_ operation: cx87_operation, st0: ExtendedReal = .zero, st1: ExtendedReal = .zero,
                        memory: ExtendedReal = .zero, control: X87ControlWord,
                        status: X87StatusWord, eflags: UInt32 = 0) -> Outcome {
        var outcome = cx87_outcome()
        cx87_execute(operation, value(st0), value(st1), value(memory), control.rawValue, status.rawValue, eflags,
                     &outcome)
        let stack = withUnsafeBytes(of: outcome.stack) { raw in
            (0..<min(Int(outcome.depth), 4)).map { index in
                ExtendedReal(significand: raw.loadUnaligned(fromByteOffset: index * 16, as: UInt64.self),
                             signAndExponent: raw.loadUnaligned(fromByteOffset: index * 16 + 8, as: UInt16.self))
            }
        }
        return Outcome(stack: stack, memory: real(outcome.memory), status: X87StatusWord(rawValue: outcome.status_word),
                       eflags: outcome.eflags)
    }

    private static func value(_ real: ExtendedReal) -> cx87_value {
        cx87_value(significand: real.significand, sign_exponent: real.signAndExponent)
    }

    private static func real(_ value: cx87_value) -> ExtendedReal {
        ExtendedReal(significand: value.significand, signAndExponent: value.sign_exponent)
    }
}
