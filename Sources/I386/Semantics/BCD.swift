/// daa, das, aaa, aas, aam, aad, following the SDM's pseudocode.
///
/// Undefined flags: OF after daa/das; OF, SF, ZF, PF after aaa/aas (kstep
/// computes SF, ZF, PF from AL and clears OF); OF, AF, CF after aam/aad
/// (kstep clears them).
extension Machine {
    func daa() {
        let oldAL = registers[0] & 0xFF
        let oldCF = carryFlag
        var al = oldAL
        var carry: UInt32 = 0
        var adjust: UInt32 = 0
        if al & 0xF > 9 || auxiliaryFlag {
            carry = oldCF | (al + 6 > 0xFF ? 1 : 0)
            al = (al + 6) & 0xFF
            adjust = EFLAGS.af
        }
        if oldAL > 0x99 || oldCF != 0 {
            al = (al + 0x60) & 0xFF
            carry = 1
        } else {
            carry = 0
        }
        setRegister(0, size: 1, al)
        setFlags(resultFlags(al, size: 1) | adjust | carry, mask: EFLAGS.arithmetic)
    }

    func das() {
        let oldAL = registers[0] & 0xFF
        let oldCF = carryFlag
        var al = oldAL
        var carry: UInt32 = 0
        var adjust: UInt32 = 0
        if al & 0xF > 9 || auxiliaryFlag {
            carry = oldCF | (al < 6 ? 1 : 0)
            al = (al &- 6) & 0xFF
            adjust = EFLAGS.af
        }
        if oldAL > 0x99 || oldCF != 0 {
            al = (al &- 0x60) & 0xFF
            carry = 1
        }
        setRegister(0, size: 1, al)
        setFlags(resultFlags(al, size: 1) | adjust | carry, mask: EFLAGS.arithmetic)
    }

    func aaa() {
        var ax = registers[0] & 0xFFFF
        var flags: UInt32 = 0
        if ax & 0xF > 9 || auxiliaryFlag {
            ax = (ax &+ 0x106) & 0xFFFF
            flags = EFLAGS.af | EFLAGS.cf
        }
        ax &= 0xFF0F
        setRegister(0, size: 2, ax)
        setFlags(resultFlags(ax & 0xFF, size: 1) | flags, mask: EFLAGS.arithmetic)
    }

    func aas() {
        var ax = registers[0] & 0xFFFF
        var flags: UInt32 = 0
        if ax & 0xF > 9 || auxiliaryFlag {
            // AX ← AX − 6 (the borrow reaches AH), then AH ← AH − 1.
            ax = (ax &- 6) & 0xFFFF
            ax = (((ax >> 8) &- 1) & 0xFF) << 8 | (ax & 0xFF)
            flags = EFLAGS.af | EFLAGS.cf
        }
        ax &= 0xFF0F
        setRegister(0, size: 2, ax)
        setFlags(resultFlags(ax & 0xFF, size: 1) | flags, mask: EFLAGS.arithmetic)
    }

    func aam(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        let base = op.immediate & 0xFF
        guard base != 0 else { throw .divideError }
        let al = registers[0] & 0xFF
        let result = (al / base) << 8 | (al % base)
        setRegister(0, size: 2, result)
        setFlags(resultFlags(result & 0xFF, size: 1), mask: EFLAGS.arithmetic)
    }

    func aad(_ pointer: UnsafePointer<Op>) {
        let op = pointer.pointee
        let base = op.immediate & 0xFF
        let al = ((registers[0] & 0xFF) &+ ((registers[0] >> 8) & 0xFF) &* base) & 0xFF
        setRegister(0, size: 2, al)
        setFlags(resultFlags(al, size: 1), mask: EFLAGS.arithmetic)
    }
}
