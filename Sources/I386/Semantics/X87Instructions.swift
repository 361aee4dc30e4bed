/// The x87 FPU's instructions (escape opcodes D8–DF, fxsave, fxrstor,
/// fwait), executed on `CPUState.x87`. `X87State` computes every result bit
/// for bit as the host's x87 does (Sources/I386/FPU); this file is the CPU
/// around it. Each x87 instruction goes through the same steps, in the
/// order the processor takes them:
///
/// 1. #NM when CR0.EM or CR0.TS is set (fwait: only when both TS and MP are).
/// 2. An instruction that waits (`X87Form.waits`) with an unmasked exception
///    pending (ES): #MF when CR0.NE = 1. The instruction does not execute.
/// 3. The memory operand: segment limit, alignment (fxsave, fxrstor: #GP(0)
///    unless 16-byte aligned), page faults — for a store, checked for the
///    whole operand before anything changes.
/// 4. The operation. A form that stores to memory works on a copy of the
///    FPU state; memory is written; then the copy becomes the state: a
///    fault, or a device access that restarts the instruction alone, leaves
///    the FPU exactly as it was. Every other form reads its operand before
///    it changes anything and cannot fault afterwards, so it works on the
///    state in place (copying the state costs more than most x87
///    instructions).
/// 5. After the operation, every instruction but the control ones records FCS:FIP (its first
///    byte, prefixes included), FOP and, with a memory operand, FDS:FDP
///    (the operand's offset and segment selector); without one FDS:FDP keep
///    their values. That is what the host (an AMD part) and a P6 do.
///
/// CR0.NE = 0 (the MS-DOS compatible mode): a real CPU asserts FERR# at the
/// waiting instruction and freezes until IGNNE# is asserted; a PC routes
/// FERR# to IRQ 13, whose handler writes port 0xF0 to assert IGNNE#. kstep
/// models no FERR# line: it behaves as a system that keeps IGNNE# asserted —
/// the waiting instruction executes as if nothing were pending, and the
/// exception flags and ES stay set for software to read.
///
/// Reserved x87 encodings (and fisttp, which is SSE3) are translated to
/// `.invalid`: #UD.
extension Machine {
    /// Executes an `.x87` op.
    @inline(never)
    func x87(_ pointer: UnsafePointer<Op>) throws(CPUException) {
        let op = pointer.pointee
        guard let form = X87Form(rawValue: op.specialRegister) else {
            throw .invalidOpcode(bytes: instructionBytes(op.address, length: Int(op.length)))
        }
        let cr0 = state.pointee.cr0
        if cr0 & (CR0.em | CR0.ts) != 0 { throw .deviceNotAvailable }
        if form.waits, state.pointee.x87.isExceptionPending, cr0 & CR0.ne != 0 { throw .floatingPointError }

        if form.storesToMemory {
            // A store can fault, or restart at a device, after the state has
            // changed (a pop, fnstenv's masks, fnsave's fninit): it works on
            // a copy, committed once memory is written.
            var fpu = state.pointee.x87
            try execute(form, op, on: &fpu)
            state.pointee.x87 = fpu
        } else {
            // Every other form reads its memory operand before it changes
            // anything, and then cannot fault: in place, without copying the
            // state twice.
            try execute(form, op, on: &state.pointee.x87)
        }
    }

    /// The x87 instruction `form` (`op`) on `fpu`: the operation, then the
    /// last-instruction pointers (no operation reads them).
    private func execute(_ form: X87Form, _ op: Op, on fpu: inout X87State) throws(CPUException) {
        let index = Int(op.x87Opcode & 7)
        switch form {
        case .faddST0, .fmulST0, .fsubST0, .fsubrST0, .fdivST0, .fdivrST0:
            fpu.apply(form.arithmetic, toST0WithST: index)
        case .faddSTi, .fmulSTi, .fsubSTi, .fsubrSTi, .fdivSTi, .fdivrSTi:
            fpu.apply(form.arithmetic, toST: index, popping: false)
        case .faddp, .fmulp, .fsubp, .fsubrp, .fdivp, .fdivrp:
            fpu.apply(form.arithmetic, toST: index, popping: true)
        case .faddM32fp, .fmulM32fp, .fsubM32fp, .fsubrM32fp, .fdivM32fp, .fdivrM32fp,
             .faddM64fp, .fmulM64fp, .fsubM64fp, .fsubrM64fp, .fdivM64fp, .fdivrM64fp,
             .fiaddM16, .fimulM16, .fisubM16, .fisubrM16, .fidivM16, .fidivrM16,
             .fiaddM32, .fimulM32, .fisubM32, .fisubrM32, .fidivM32, .fidivrM32:
            fpu.apply(form.arithmetic, toST0With: try loadX87Operand(op, form))

        case .fcomSTi, .fcompSTi, .fucomSTi, .fucompSTi:
            fpu.compare(st0WithST: index, unordered: form == .fucomSTi || form == .fucompSTi,
                        pops: form == .fcomSTi || form == .fucomSTi ? 0 : 1)
        case .fcompp, .fucompp:
            fpu.compare(st0WithST: 1, unordered: form == .fucompp, pops: 2)
        case .fcomiSTi, .fcomipSTi, .fucomiSTi, .fucomipSTi:
            let flags = fpu.compareSettingFlags(st0WithST: index, unordered: form == .fucomiSTi || form == .fucomipSTi,
                                                popping: form == .fcomipSTi || form == .fucomipSTi, eflags: eflags)
            setFlags(flags, mask: X87ComparisonFlags.writtenMask)
        case .fcomM32fp, .fcomM64fp, .ficomM16, .ficomM32:
            fpu.compare(st0With: try loadX87Operand(op, form), popping: false)
        case .fcompM32fp, .fcompM64fp, .ficompM16, .ficompM32:
            fpu.compare(st0With: try loadX87Operand(op, form), popping: true)
        case .ftst: fpu.test()
        case .fxam: fpu.examine()

        case .fldM32fp, .fldM64fp, .fldM80fp, .fildM16, .fildM32, .fildM64, .fbld:
            fpu.load(try loadX87Operand(op, form))
        case .fldSTi: fpu.load(st: index)
        case .fld1: fpu.load(.one)
        case .fldl2t: fpu.load(.log2Of10)
        case .fldl2e: fpu.load(.log2OfE)
        case .fldpi: fpu.load(.pi)
        case .fldlg2: fpu.load(.log10Of2)
        case .fldln2: fpu.load(.lnOf2)
        case .fldz: fpu.load(.zero)

        case .fstM32fp, .fstM64fp, .fistM16, .fistM32:
            try storeX87Operand(op, form, from: &fpu, popping: false)
        case .fstpM32fp, .fstpM64fp, .fstpM80fp, .fistpM16, .fistpM32, .fistpM64, .fbstp:
            try storeX87Operand(op, form, from: &fpu, popping: true)
        case .fstSTi: fpu.store(toST: index, popping: false)
        case .fstpSTi: fpu.store(toST: index, popping: true)

        case .fchs: fpu.perform(.changeSign)
        case .fabs: fpu.perform(.absoluteValue)
        case .fsqrt: fpu.perform(.squareRoot)
        case .frndint: fpu.perform(.roundToInteger)
        case .f2xm1: fpu.perform(.twoToXMinusOne)
        case .fsin: fpu.perform(.sine)
        case .fcos: fpu.perform(.cosine)
        case .fsincos: fpu.perform(.sineAndCosine)
        case .fptan: fpu.perform(.partialTangent)
        case .fxtract: fpu.perform(.extractExponentAndSignificand)
        case .fscale: fpu.perform(.scale)
        case .fprem: fpu.perform(.partialRemainder)
        case .fprem1: fpu.perform(.ieeePartialRemainder)
        case .fpatan: fpu.perform(.partialArctangent)
        case .fyl2x: fpu.perform(.yLog2X)
        case .fyl2xp1: fpu.perform(.yLog2XPlusOne)

        case .fxch: fpu.exchange(withST: index)
        case .fcmov: fpu.conditionalMove(fromST: index, if: condition(op.condition))
        case .ffree: fpu.free(st: index)
        case .ffreep: fpu.free(st: index, popping: true)
        case .fincstp: fpu.incrementStackTop()
        case .fdecstp: fpu.decrementStackTop()
        case .fnop, .legacyNop: break

        case .fninit: fpu.initialize()
        case .fnclex: fpu.clearExceptions()
        case .fldcw: fpu.loadControlWord(try load16(try linearAddress(op, size: 2)))
        case .fnstcw: try store16(try linearAddress(op, size: 2), fpu.controlWord.rawValue)
        case .fnstswM16: try store16(try linearAddress(op, size: 2), fpu.statusWord.rawValue)
        case .fnstswAX: setRegister(0, size: 2, UInt32(fpu.statusWord.rawValue))
        case .fnstenv:
            let format = environmentFormat(op)
            let address = try writableAddress(op, size: format.size)
            try storeBytes(fpu.storeEnvironment(format: format), at: address)
        case .fldenv:
            let format = environmentFormat(op)
            fpu.loadEnvironment(try loadBytes(try linearAddress(op, size: format.size), count: format.size), format: format)
        case .fnsave:
            let format = environmentFormat(op)
            let address = try writableAddress(op, size: format.saveSize)
            try storeBytes(fpu.save(format: format), at: address)
        case .frstor:
            let format = environmentFormat(op)
            let image = try loadBytes(try linearAddress(op, size: format.saveSize), count: format.saveSize)
            fpu.restore(image, format: format)
        case .fxsave:
            let address = try alignedFXSRAddress(op)
            try probeWrite(address, size: X87State.fxsaveSize)
            try storeBytes(fpu.fxsaveImage(), at: address)
        case .fxrstor:
            let image = try loadBytes(try alignedFXSRAddress(op), count: X87State.fxsaveSize)
            do throws(X87StateError) {
                try fpu.restoreFXSAVEImage(image)
            } catch {
                throw .generalProtection(errorCode: 0)  // MXCSR bits outside MXCSR_MASK
            }
        }
        if !form.isControl {
            let hasMemoryOperand = op.source == Op.memory
            let old = fpu.lastInstruction
            fpu.lastInstruction = X87InstructionPointers(
                instructionOffset: op.address, instructionSelector: segments[SegmentName.cs.rawValue].selector,
                opcode: op.x87Opcode,
                operandOffset: hasMemoryOperand ? effectiveAddress(op) : old.operandOffset,
                operandSelector: hasMemoryOperand ? segments[Int(op.segment)].selector : old.operandSelector)
        }
    }

    /// wait/fwait: #NM when CR0.TS and CR0.MP are both set, then #MF for a
    /// pending unmasked exception (CR0.NE = 1; with NE = 0 see above).
    func fwait() throws(CPUException) {
        let cr0 = state.pointee.cr0
        if cr0 & CR0.ts != 0 && cr0 & CR0.mp != 0 { throw .deviceNotAvailable }
        if state.pointee.x87.isExceptionPending, cr0 & CR0.ne != 0 { throw .floatingPointError }
    }

    // MARK: Memory operands

    /// The environment layout the operand size selects.
    private func environmentFormat(_ op: Op) -> X87EnvironmentFormat {
        op.size == 2 ? .protectedMode16 : .protectedMode32
    }

    /// Reads the memory operand of a form with a format.
    private func loadX87Operand(_ op: Op, _ form: X87Form) throws(CPUException) -> X87MemoryOperand {
        let format = form.memoryFormat ?? .float80
        let address = try linearAddress(op, size: format.size)
        var bits = ExtendedReal.zero
        switch format.size {
        case 2: bits.significand = UInt64(try load16(address))
        case 4: bits.significand = UInt64(try load32(address))
        default:
            let low = UInt64(try load32(address))
            bits.significand = low | UInt64(try load32(address &+ 4)) << 32
            if format.size == 10 { bits.signAndExponent = try load16(address &+ 8) }
        }
        return X87MemoryOperand(format: format, bits: bits)
    }

    /// fst, fstp, fist, fistp, fbstp to memory: the whole operand is checked
    /// for writing first, so a fault leaves the FPU state untouched; nothing
    /// is written when `X87State` says the store must not happen.
    private func storeX87Operand(_ op: Op, _ form: X87Form, from fpu: inout X87State,
                                 popping: Bool) throws(CPUException) {
        let format = form.memoryFormat ?? .float80
        let address = try writableAddress(op, size: format.size)
        guard let value = fpu.store(as: format, popping: popping) else { return }
        let bits = value.bits
        switch format.size {
        case 2: try store16(address, UInt16(truncatingIfNeeded: bits.significand))
        case 4: try store32(address, UInt32(truncatingIfNeeded: bits.significand))
        default:
            try store32(address, UInt32(truncatingIfNeeded: bits.significand))
            try store32(address &+ 4, UInt32(truncatingIfNeeded: bits.significand >> 32))
            if format.size == 10 { try store16(address &+ 8, bits.signAndExponent) }
        }
    }

    /// The operand's linear address after the segment checks and a write
    /// probe of all `size` bytes.
    private func writableAddress(_ op: Op, size: Int) throws(CPUException) -> UInt32 {
        let address = try linearAddress(op, size: size)
        try probeWrite(address, size: size)
        return address
    }

    /// fxsave and fxrstor: the 512-byte operand, #GP(0) unless 16-byte aligned.
    private func alignedFXSRAddress(_ op: Op) throws(CPUException) -> UInt32 {
        let address = try linearAddress(op, size: X87State.fxsaveSize)
        guard address & 15 == 0 else { throw .generalProtection(errorCode: 0) }
        return address
    }

    private func loadBytes(_ address: UInt32, count: Int) throws(CPUException) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset + 4 <= count {
            let word = try load32(address &+ UInt32(offset))
            for byte in 0..<4 { bytes[offset + byte] = UInt8(truncatingIfNeeded: word >> (8 * UInt32(byte))) }
            offset += 4
        }
        while offset < count {
            bytes[offset] = try load8(address &+ UInt32(offset))
            offset += 1
        }
        return bytes
    }

    private func storeBytes(_ bytes: [UInt8], at address: UInt32) throws(CPUException) {
        var offset = 0
        while offset + 4 <= bytes.count {
            var word: UInt32 = 0
            for byte in 0..<4 { word |= UInt32(bytes[offset + byte]) << (8 * UInt32(byte)) }
            try store32(address &+ UInt32(offset), word)
            offset += 4
        }
        while offset < bytes.count {
            try store8(address &+ UInt32(offset), bytes[offset])
            offset += 1
        }
    }
}
