internal import CX87

/// The bridge to the CX87 shim: runs one x87 instruction form on the host's
/// x87 under the guest's control word and condition codes (see
/// `Sources/CX87/include/cx87.h` for the technique).
enum HostX87 {
    /// What the host's x87 did.
    struct Outcome {
        /// The shim's record.
        fileprivate var raw: cx87_outcome

        /// How many registers the instruction left on the host stack.
        var depth: Int { Int(raw.depth) }
        /// What a store to memory wrote.
        var memory: ExtendedReal { HostX87.real(raw.memory) }
        /// The status word after the instruction: its exception flags, C0–C3, ES.
        var status: X87StatusWord { X87StatusWord(rawValue: raw.status_word) }
        /// EFLAGS after fcomi/fucomi (from the flags passed in).
        var eflags: UInt32 { raw.eflags }

        /// The host's ST(`index`) after the instruction, or the indefinite if
        /// the instruction left fewer registers.
        func register(_ index: Int) -> ExtendedReal {
            guard index >= 0, index < min(depth, 4) else { return .indefinite }
            switch index {
            case 0: return HostX87.real(raw.stack.0)
            case 1: return HostX87.real(raw.stack.1)
            case 2: return HostX87.real(raw.stack.2)
            default: return HostX87.real(raw.stack.3)
            }
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
        return Outcome(raw: outcome)
    }

    private static func value(_ real: ExtendedReal) -> cx87_value {
        cx87_value(significand: real.significand, sign_exponent: real.signAndExponent)
    }

    fileprivate static func real(_ value: cx87_value) -> ExtendedReal {
        ExtendedReal(significand: value.significand, signAndExponent: value.sign_exponent)
    }
}
