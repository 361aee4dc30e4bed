/// Lazy evaluation of the arithmetic flags.
///
/// add/adc/sub/sbb/cmp/neg/and/or/xor/test/inc/dec only record their operands
/// and result (already truncated to the operand size); each flag is computed
/// when something reads it. Other instructions compute flags eagerly through
/// `setFlags(_:mask:)`.
extension Machine {
    // The lazy-flag fields of `CPUState`, by the names the handlers use.
    var storedFlags: UInt32 {
        @inline(__always) get { state.pointee.flags.stored }
        @inline(__always) set { state.pointee.flags.stored = newValue }
    }
    var flagsOperation: LazyFlags {
        @inline(__always) get { state.pointee.flags.operation }
        @inline(__always) set { state.pointee.flags.operation = newValue }
    }
    var flagsResult: UInt32 {
        @inline(__always) get { state.pointee.flags.result }
        @inline(__always) set { state.pointee.flags.result = newValue }
    }
    var flagsLeft: UInt32 {
        @inline(__always) get { state.pointee.flags.left }
        @inline(__always) set { state.pointee.flags.left = newValue }
    }
    var flagsRight: UInt32 {
        @inline(__always) get { state.pointee.flags.right }
        @inline(__always) set { state.pointee.flags.right = newValue }
    }
    var flagsSignBit: UInt32 {
        @inline(__always) get { state.pointee.flags.signBit }
        @inline(__always) set { state.pointee.flags.signBit = newValue }
    }
    var flagsCarry: UInt32 {
        @inline(__always) get { state.pointee.flags.carry }
        @inline(__always) set { state.pointee.flags.carry = newValue }
    }

    @inline(__always)
    func setLazyFlags(_ operation: LazyFlags, _ left: UInt32, _ right: UInt32, _ result: UInt32, size: Int) {
        flagsOperation = operation
        flagsLeft = left
        flagsRight = right
        flagsResult = result
        flagsSignBit = size == 4 ? 0x8000_0000 : (size == 2 ? 0x8000 : 0x80)
    }

    /// Records inc/dec flags, keeping the current CF.
    @inline(__always)
    func setIncDecFlags(_ operation: LazyFlags, _ left: UInt32, _ result: UInt32, size: Int) {
        flagsCarry = carryFlag
        setLazyFlags(operation, left, 1, result, size: size)
    }

    var carryFlag: UInt32 {
        switch flagsOperation {
        case .none: storedFlags & EFLAGS.cf
        case .add: flagsResult < flagsLeft ? 1 : 0
        case .adcWithCarry: flagsResult <= flagsLeft ? 1 : 0
        case .sub: flagsLeft < flagsRight ? 1 : 0
        case .sbbWithBorrow: flagsLeft <= flagsRight ? 1 : 0
        case .logic: 0
        case .inc, .dec: flagsCarry
        case .shl, .shr, .sar: shiftCarry
        }
    }

    /// CF of the pending shift: the last bit shifted out of the operand (for
    /// shl, of a 64-bit intermediate, so counts above the width give 0).
    private var shiftCarry: UInt32 {
        let value = UInt64(flagsLeft), count = UInt64(flagsRight & 0x1F)
        switch flagsOperation {
        case .shl:
            let bits = UInt64(flagsSignBit.trailingZeroBitCount + 1)
            return UInt32(truncatingIfNeeded: (value << count) >> bits) & 1
        case .shr:
            return UInt32(truncatingIfNeeded: value >> (count &- 1)) & 1
        default:  // sar: the sign-extended operand
            let unused = UInt32(flagsSignBit.leadingZeroBitCount)
            let signed = Int64(Int32(bitPattern: flagsLeft << unused) >> Int32(unused))
            return UInt32(truncatingIfNeeded: signed >> Int64(count &- 1)) & 1
        }
    }

    /// ZF, inline for jz/jnz: every pending operation leaves it as "the result is zero".
    var isZero: Bool {
        @inline(__always) get {
            flagsOperation == .none ? storedFlags & EFLAGS.zf != 0 : flagsResult == 0
        }
    }

    var zeroFlag: Bool {
        flagsOperation == .none ? storedFlags & EFLAGS.zf != 0 : flagsResult == 0
    }

    var signFlag: Bool {
        flagsOperation == .none ? storedFlags & EFLAGS.sf != 0 : flagsResult & flagsSignBit != 0
    }

    var overflowFlag: Bool {
        switch flagsOperation {
        case .none: return storedFlags & EFLAGS.of != 0
        case .add, .adcWithCarry, .inc:
            return (flagsLeft ^ flagsResult) & (flagsRight ^ flagsResult) & flagsSignBit != 0
        case .sub, .sbbWithBorrow, .dec:
            return (flagsLeft ^ flagsRight) & (flagsLeft ^ flagsResult) & flagsSignBit != 0
        case .logic, .sar: return false
        case .shl: return (flagsResult & flagsSignBit != 0) != (carryFlag != 0)
        case .shr: return flagsLeft & flagsSignBit != 0
        }
    }

    var parityFlag: Bool {
        flagsOperation == .none ? storedFlags & EFLAGS.pf != 0 : Machine.evenParity(flagsResult)
    }

    var auxiliaryFlag: Bool {
        switch flagsOperation {
        case .none: storedFlags & EFLAGS.af != 0
        case .logic, .shl, .shr, .sar: false
        default: (flagsLeft ^ flagsRight ^ flagsResult) & 0x10 != 0
        }
    }

    /// True when the low byte of `value` has an even number of set bits.
    @inline(__always)
    static func evenParity(_ value: UInt32) -> Bool {
        let nibble = (value ^ (value >> 4)) & 0xF
        return (0x9669 >> nibble) & 1 != 0
    }

    /// Computes pending flags into `storedFlags`.
    @inline(__always)
    func materializeFlags() {
        guard flagsOperation != .none else { return }
        materializePendingFlags()
    }

    /// Evaluates every pending flag at once from a local copy of the lazy
    /// state (pushf and popf do this on every kernel context switch).
    @inline(never)
    private func materializePendingFlags() {
        let pending = state.pointee.flags
        let left = pending.left, right = pending.right, result = pending.result, sign = pending.signBit
        var flags = pending.stored & ~EFLAGS.arithmetic
        if result == 0 { flags |= EFLAGS.zf }
        if result & sign != 0 { flags |= EFLAGS.sf }
        if Machine.evenParity(result) { flags |= EFLAGS.pf }
        let addOverflow = (left ^ result) & (right ^ result) & sign != 0
        let subOverflow = (left ^ right) & (left ^ result) & sign != 0
        let adjust = (left ^ right ^ result) & EFLAGS.af
        var carry: Bool
        var overflow: Bool
        switch pending.operation {
        case .add: carry = result < left; overflow = addOverflow; flags |= adjust
        case .adcWithCarry: carry = result <= left; overflow = addOverflow; flags |= adjust
        case .sub: carry = left < right; overflow = subOverflow; flags |= adjust
        case .sbbWithBorrow: carry = left <= right; overflow = subOverflow; flags |= adjust
        case .inc: carry = pending.carry != 0; overflow = addOverflow; flags |= adjust
        case .dec: carry = pending.carry != 0; overflow = subOverflow; flags |= adjust
        case .logic, .none: carry = false; overflow = false
        case .shl, .shr, .sar:
            carry = shiftCarry != 0
            overflow = pending.operation == .shl ? (result & sign != 0) != carry
                : (pending.operation == .shr && left & sign != 0)
        }
        if carry { flags |= EFLAGS.cf }
        if overflow { flags |= EFLAGS.of }
        state.pointee.flags.stored = flags
        state.pointee.flags.operation = .none
    }

    /// Sets the flags in `mask` to the corresponding bits of `values`, keeping the others.
    @inline(__always)
    func setFlags(_ values: UInt32, mask: UInt32) {
        if mask & EFLAGS.arithmetic == EFLAGS.arithmetic {
            flagsOperation = .none  // every pending flag is overwritten: nothing to evaluate
        } else {
            materializeFlags()
        }
        storedFlags = (storedFlags & ~mask) | (values & mask)
    }

    /// ZF, SF and PF of `result` at `size` bytes, as EFLAGS bits.
    @inline(__always)
    func resultFlags(_ result: UInt32, size: Int) -> UInt32 {
        let signBit: UInt32 = size == 4 ? 0x8000_0000 : (size == 2 ? 0x8000 : 0x80)
        var flags: UInt32 = 0
        if result == 0 { flags |= EFLAGS.zf }
        if result & signBit != 0 { flags |= EFLAGS.sf }
        if Machine.evenParity(result) { flags |= EFLAGS.pf }
        return flags
    }

    /// The full EFLAGS value.
    public var eflags: UInt32 {
        get {
            materializeFlags()
            return storedFlags
        }
        set {
            // Bit 1 is always 1; bits 3, 5, 15 and 22–31 are always 0.
            storedFlags = (newValue & 0x003F_7FD5) | EFLAGS.reserved1
            flagsOperation = .none
            refreshDebugTraps()
        }
    }

    /// Evaluates condition code `cc` (the low nibble of a jcc/setcc/cmovcc
    /// opcode) straight from the pending operation where that is cheap: after
    /// cmp/sub, after logic ops (CF = OF = 0), and for ZF/SF alone.
    @inline(__always)
    func condition(_ cc: UInt8) -> Bool {
        let operation = flagsOperation
        let result: Bool
        switch operation {
        case .sub:
            let left = flagsLeft, right = flagsRight
            switch cc >> 1 {
            case 1: result = left < right
            case 2: result = left == right
            case 3: result = left <= right
            case 4: result = flagsResult & flagsSignBit != 0
            case 6, 7:
                // Signed compare at the operand size: shift both so the sign bit is bit 31.
                let shift = UInt32(flagsSignBit.leadingZeroBitCount)
                let a = Int32(bitPattern: left << shift), b = Int32(bitPattern: right << shift)
                result = cc >> 1 == 6 ? a < b : a <= b
            default: return slowCondition(cc)
            }
        case .logic, .inc, .dec, .shl, .shr, .sar:
            let value = flagsResult
            switch cc >> 1 {
            case 2: result = value == 0
            case 4: result = value & flagsSignBit != 0
            case 6 where operation == .logic: result = value & flagsSignBit != 0  // l: SF != OF, OF = 0
            case 7 where operation == .logic: result = value == 0 || value & flagsSignBit != 0
            default: return slowCondition(cc)
            }
        case .none:
            let flags = storedFlags
            switch cc >> 1 {
            case 2: result = flags & EFLAGS.zf != 0
            case 1: result = flags & EFLAGS.cf != 0
            default: return slowCondition(cc)
            }
        default:
            return slowCondition(cc)
        }
        return cc & 1 == 0 ? result : !result
    }

    @inline(never)
    private func slowCondition(_ cc: UInt8) -> Bool {
        let result: Bool
        switch cc >> 1 {
        case 0: result = overflowFlag
        case 1: result = carryFlag != 0
        case 2: result = zeroFlag
        case 3: result = carryFlag != 0 || zeroFlag
        case 4: result = signFlag
        case 5: result = parityFlag
        case 6: result = signFlag != overflowFlag
        default: result = zeroFlag || (signFlag != overflowFlag)
        }
        return cc & 1 == 0 ? result : !result
    }
}
