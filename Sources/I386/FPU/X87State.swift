internal import CX87

/// The x87 FPU of an i686: eight 80-bit registers used as a stack, the
/// control, status and tag words, the last-instruction pointers, and the
/// MXCSR/XMM area fxsave and fxrstor carry. A value: the integrator keeps
/// one per CPU and calls one method per x87 instruction.
///
/// ## How results are computed
///
/// Every result must equal a real x87's bit for bit in every rounding and
/// precision mode, the transcendental instructions included. kstep therefore
/// runs each computing instruction on the host's own x87 through the `CX87`
/// shim, under the guest's control word (its real exception masks, rounding
/// and precision) and condition codes; Swift models everything architectural
/// around it: which physical register is ST(i), the tags, stack overflow and
/// underflow, the sticky flags and ES, what a masked exception delivers and
/// what an unmasked one leaves unwritten. Neither Swift's `Float80` (fixed
/// host control word, no flags) nor a soft-float (fsin, fpatan, f2xm1 and
/// friends are microcoded approximations no library reproduces to the last
/// bit) could give that. The price: kstep needs an x86 host, and where Intel
/// and AMD x87s differ, kstep's results are its host's (see below).
///
/// ## Exceptions
///
/// An instruction's exceptions are OR-ed into the sticky flags. If any is
/// unmasked, ES and B are set and the instruction completes as the SDM
/// prescribes (§8.5): after an unmasked invalid operation, denormal operand
/// or zero divide nothing is written and nothing popped; after an unmasked
/// overflow or underflow a register destination receives the result with its
/// exponent wrapped (divided or multiplied by 2²⁴⁵⁷⁶) and the stack is
/// popped, while a memory destination is not written and nothing is popped;
/// an unmasked precision exception changes nothing about the result.
/// Methods that store to memory return `nil` when memory must not be written.
///
/// The exception itself is not raised by the faulting instruction: x87
/// exceptions are delivered at the *next waiting* x87 instruction. So the
/// integrator (`Machine`, Semantics/X87Instructions.swift), before executing
/// any x87 instruction except the non-waiting ones (fninit, fnclex, fnstsw,
/// fnstcw, fnstenv, fnsave, fxsave, fxrstor, and the legacy no-ops feni,
/// fdisi and fsetpm — measured on the host: fldcw, fldenv and frstor do
/// wait), and before fwait, checks `isExceptionPending`; when it is true:
///
/// - with CR0.NE = 1, it raises #MF (vector 16, a fault with no error code,
///   eip at the waiting instruction, which does not execute);
/// - with CR0.NE = 0 (MS-DOS compatible mode), a CPU asserts FERR#, which a
///   PC routes to IRQ 13, and freezes at the waiting instruction until
///   IGNNE# is asserted. kstep models no FERR# line and behaves as a system
///   that keeps IGNNE# asserted: the instruction executes and the flags stay.
///
/// CR0.EM/TS (#NM) are checked before the pending exception.
///
/// ## Intel and AMD
///
/// Results come from the host, so where Intel and AMD x87s differ, kstep
/// behaves like its host: the last bit of some transcendental results (fsin,
/// fcos, fsincos, fptan, fpatan, f2xm1, fyl2x, fyl2xp1), which of two NaNs
/// with equal significands wins, and every condition code the SDM leaves
/// undefined after a computing instruction (kstep hands the guest's C0–C3 to
/// the host and keeps what it leaves). The rules kstep applies itself were
/// checked against an AMD EPYC host, where the SDM is silent or says
/// "undefined": ffree clears C1 and fcmov keeps it; fld st(i) checks for an
/// empty source before a full stack; a stack fault clears C2 of fsin, fcos,
/// fsincos, fptan, fprem and fprem1; a comparison with an empty register
/// reports unordered (C3 C2 C0, or ZF PF CF for fcomi) even when the
/// invalid operation is unmasked; fld m32fp/m64fp of a denormal pushes even
/// with the denormal exception unmasked (kstep pushes exactly when the host
/// does). An Intel host may differ in these; the differential test says so.
/// Where kstep writes state itself it follows Intel: fxsave always stores
/// FIP, FCS, FOP, FDP and FDS (AMD stores zeros unless ES is set), FCS and
/// FDS are stored (not deprecated to zero as on recent Intel parts), and
/// fxsave reports MXCSR_MASK 0xFFBF (a P6 without DAZ; the host says
/// 0x2FFFF). Reserved fields are listed where each layout is encoded.
public struct X87State: Hashable, Sendable {
    /// The physical registers R0–R7; ST(i) is R[(TOP + i) mod 8].
    var registers: X87RegisterFile
    /// The control word.
    public internal(set) var controlWord: X87ControlWord
    /// The status word, TOP included.
    public internal(set) var statusWord: X87StatusWord
    /// Bit p is set when physical register p holds a value (fxsave's
    /// abridged tag word); the full tags derive from the contents.
    public internal(set) var occupiedRegisters: UInt8
    /// The last non-control instruction and its memory operand (maintained by the integrator).
    public var lastInstruction: X87InstructionPointers
    /// MXCSR, stored for fxsave and fxrstor only: kstep claims no SSE.
    public var mxcsr: UInt32
    /// MXCSR_MASK, the MXCSR bits fxrstor accepts (0xFFBF: a P6 without
    /// DAZ); fxsave stores it.
    public var mxcsrMask: UInt32
    /// The XMM0–XMM7 area of fxsave (bytes 160–287), kept as bytes fxrstor
    /// loaded: no instruction of kstep's reads or writes XMM registers.
    /// Setting it keeps the first 128 bytes, zeros where fewer are given.
    public var xmmArea: [UInt8] {
        get { xmmBytes.bytes }
        set { xmmBytes = X87XMMArea(newValue) }
    }
    /// The XMM area's storage.
    var xmmBytes: X87XMMArea

    /// The state after fninit, with every register +0.0, MXCSR 0x1F80.
    public init() {
        registers = X87RegisterFile(repeating: .zero)
        controlWord = .initial
        statusWord = X87StatusWord(rawValue: 0)
        occupiedRegisters = 0
        lastInstruction = .cleared
        mxcsr = 0x1F80
        mxcsrMask = 0xFFBF
        xmmBytes = X87XMMArea()
    }

    /// The state after power-up or RESET (SDM Vol. 3 Table 9-1): control
    /// word 0x0040 (every exception unmasked, 24-bit precision), status word
    /// 0, every register +0.0 and tagged valid (tag word 0x5555). INIT keeps
    /// the x87 state as it was; software normally runs fninit first.
    public static var afterReset: X87State {
        var state = X87State()
        state.controlWord = X87ControlWord(rawValue: 0x0040)
        state.occupiedRegisters = 0xFF
        return state
    }

    /// TOP.
    public var top: Int { statusWord.top }

    /// The physical registers R0–R7, empty or not; ST(i) is R[(TOP + i) mod 8].
    public var physicalRegisters: [ExtendedReal] { (0..<8).map { registers[$0] } }

    /// The contents of physical register `index` (mod 8), empty or not.
    public func physicalRegister(_ index: Int) -> ExtendedReal { registers[index] }

    /// The physical register that is ST(`index`) (`index` is taken mod 8).
    @inline(__always)
    public func physicalIndex(ofST index: Int) -> Int { (top &+ index) & 7 }

    /// The contents of ST(`index`), empty or not.
    @inline(__always)
    public func st(_ index: Int) -> ExtendedReal { registers[physicalIndex(ofST: index)] }

    /// True when ST(`index`) is empty.
    @inline(__always)
    public func isEmpty(st index: Int) -> Bool { occupiedRegisters & (1 << physicalIndex(ofST: index)) == 0 }

    /// The full tag of physical register `index` (mod 8).
    public func tag(ofPhysicalRegister index: Int) -> X87Tag {
        let physical = index & 7
        return occupiedRegisters & (1 << physical) == 0 ? .empty : registers[physical].tag
    }

    /// The full tag word as fnstenv and fnsave store it.
    public var tagWord: UInt16 {
        (0..<8).reduce(0) { word, physical in word | UInt16(tag(ofPhysicalRegister: physical).rawValue) << (2 * physical) }
    }

    /// True when an unmasked exception is pending (ES): the next waiting x87
    /// instruction must raise #MF (see the type's documentation).
    public var isExceptionPending: Bool { statusWord.errorSummary }

    // MARK: - Stack and flag primitives

    @inline(__always)
    mutating func setST(_ index: Int, _ value: ExtendedReal) {
        let physical = physicalIndex(ofST: index)
        registers[physical] = value
        occupiedRegisters |= 1 << physical
    }

    mutating func push(_ value: ExtendedReal) {
        statusWord.top = top &- 1
        setST(0, value)
    }

    mutating func popStack() {
        occupiedRegisters &= ~(1 << physicalIndex(ofST: 0))
        statusWord.top = top &+ 1
    }

    /// True when a push has room: ST(7), the register below ST(0), is empty.
    var canPush: Bool { isEmpty(st: 7) }

    /// ORs `exceptions` into the sticky flags and recomputes ES and B.
    mutating func signal(_ exceptions: X87Exceptions) {
        statusWord.exceptions.formUnion(exceptions)
        updateErrorSummary()
    }

    /// ES and B are set exactly when an exception flag is set whose mask is clear.
    mutating func updateErrorSummary() {
        let pending = !statusWord.exceptions.subtracting(controlWord.masks).isEmpty
        statusWord.errorSummary = pending
        statusWord.busy = pending
    }

    /// A stack underflow (an empty source, SDM §8.5.1.1): IE and SF set, C1
    /// cleared. Returns true when IE is masked, so the caller delivers the
    /// masked response; false leaves everything else unchanged.
    mutating func signalStackUnderflow() -> Bool {
        statusWord.c1 = false
        statusWord.stackFault = true
        signal(.invalidOperation)
        return controlWord.masks.contains(.invalidOperation)
    }

    /// A stack overflow (a push onto a full register): IE and SF set, C1 set.
    /// Returns true when IE is masked.
    mutating func signalStackOverflow() -> Bool {
        statusWord.c1 = true
        statusWord.stackFault = true
        signal(.invalidOperation)
        return controlWord.masks.contains(.invalidOperation)
    }

    /// Runs `operation` on the host under this state's control word and
    /// condition codes, takes its condition codes and exception flags, and
    /// returns the outcome with the exceptions that were unmasked.
    mutating func executeOnHost(_ operation: cx87_operation, st0: ExtendedReal = .zero, st1: ExtendedReal = .zero,
                                memory: ExtendedReal = .zero,
                                eflags: UInt32 = 0) -> (outcome: HostX87.Outcome, unmasked: X87Exceptions) {
        let outcome = HostX87.execute(operation, st0: st0, st1: st1, memory: memory,
                                      control: controlWord, status: statusWord, eflags: eflags)
        statusWord.conditionCodes = outcome.status.conditionCodes
        signal(outcome.status.exceptions)
        return (outcome, outcome.status.exceptions.subtracting(controlWord.masks))
    }
}
