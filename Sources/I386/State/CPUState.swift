/// Everything architectural about the CPU, as one value: what a snapshot
/// saves and `Machine.restore(_:)` puts back.
///
/// `Machine` keeps one `CPUState` at a stable address and the interpreter
/// works on it in place; embedders read and write registers through
/// `Machine`'s subscript, which applies the side effects (TLB flushes, debug
/// arming) that a raw field write would skip.
public struct CPUState: Sendable {
    /// eax, ecx, edx, ebx, esp, ebp, esi, edi by hardware number, then a
    /// ninth slot that is always zero so "no base or index register" costs no
    /// branch in address arithmetic. Kept first: `Machine.registers` points here.
    var generalRegisters: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0)
    /// es, cs, ss, ds, fs, gs (by hardware number) with their descriptor caches.
    var segmentRegisters: (SegmentRegister, SegmentRegister, SegmentRegister,
                           SegmentRegister, SegmentRegister, SegmentRegister) =
        (.flat(selector: 0x18, isCode: false), .flat(selector: 0x10, isCode: true), .flat(selector: 0x18, isCode: false),
         .flat(selector: 0x18, isCode: false), .flat(selector: 0x18, isCode: false), .flat(selector: 0x18, isCode: false))
    /// DR0–DR7 (DR4 and DR5 are never stored: they alias DR6 and DR7).
    var debugRegisters: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
        (0, 0, 0, 0, 0, 0, 0xFFFF_0FF0, 0x0000_0400)

    /// The instruction pointer (an offset in CS).
    public var eip: UInt32 = 0
    /// The arithmetic flags of the last flag-setting instruction, evaluated lazily.
    var flags = LazyFlagState()

    /// GDTR and IDTR.
    public var gdtr = TableRegister()
    public var idtr = TableRegister(base: 0, limit: 0)
    /// LDTR and TR: the selector and the descriptor cached when it was loaded.
    public var ldtr = SegmentRegister(selector: 0, base: 0, limit: 0, attributes: 0)
    public var taskRegister = SegmentRegister(selector: 0, base: 0, limit: 0, attributes: 0)

    /// CR0 (PE and ET set at reset), CR2, CR3, CR4.
    public var cr0: UInt32 = 0x0000_0011
    public var cr2: UInt32 = 0
    public var cr3: UInt32 = 0
    public var cr4: UInt32 = 0
    /// PerfCtr0 and PerfCtr1 (MSRs 0xC1, 0xC2; 40 bits), what rdpmc reads,
    /// and PerfEvtSel0/1 (MSRs 0x186, 0x187). kstep counts no events: the
    /// counters hold what wrmsr wrote.
    public var performanceCounters: (UInt64, UInt64) = (0, 0)
    public var eventSelects: (UInt32, UInt32) = (0, 0)

    /// IA32_SYSENTER_CS, _ESP, _EIP (MSRs 0x174–0x176).
    public var sysenterCS: UInt32 = 0
    public var sysenterESP: UInt32 = 0
    public var sysenterEIP: UInt32 = 0

    /// The x87 FPU (with the MXCSR and XMM bytes fxsave and fxrstor carry).
    /// kstep's machines start with fninit's state (control word 0x037F,
    /// every register empty), as a loader leaves it, rather than the
    /// power-up state (`X87State.afterReset`: everything unmasked, 24-bit
    /// precision, every register tagged valid), which an embedder can load.
    public var x87 = X87State()

    /// True for the one instruction after `sti` (with IF clear before), `mov ss`
    /// or `pop ss`: maskable interrupts and debug traps wait until it retires.
    public var interruptShadow = false
    /// Requests the run loop looks at between blocks (`PendingEvents`).
    var pendingEvents = PendingEvents()

    /// Instructions retired (a `rep` instruction counts once).
    public var instructionCount: UInt64 = 0
    /// Exceptions and external interrupts delivered through the IDT (an
    /// `int n` is an instruction and counts there): with `instructionCount`,
    /// a position in the execution (`ExecutionPosition`).
    public var interruptionCount: UInt64 = 0
    /// Device time that passed without retiring an instruction: iterations of
    /// a `rep` instruction beyond the first, and time spent halted.
    public var ticksBeyondInstructions: UInt64 = 0

    /// Device time, in ticks: one per instruction, per extra `rep` iteration,
    /// and per tick spent in `hlt`. What `rdtsc` reads.
    public var time: UInt64 { instructionCount &+ ticksBeyondInstructions }

    /// The state of a CPU after reset into kstep's flat ring-0 protected mode.
    public init() {}
}

/// The arithmetic flags, kept lazily: the operation and operands of the last
/// flag-setting instruction, with `stored` holding every flag when `operation` is `.none`.
struct LazyFlagState: Sendable {
    /// EFLAGS, with the arithmetic flags valid only when `operation` is `.none`.
    var stored: UInt32 = EFLAGS.reserved1
    var operation: LazyFlags = .none
    var result: UInt32 = 0
    var left: UInt32 = 0
    var right: UInt32 = 0
    var signBit: UInt32 = 0x8000_0000
    /// CF kept across inc/dec.
    var carry: UInt32 = 0
}

/// Requests for the run loop, tested once per block: one word, so the common
/// case costs one load and one branch.
struct PendingEvents: Sendable {
    /// Bits owned by the CPU's thread.
    var local: UInt32 = 0
    /// Bits other threads set (a debugger's stop request): a separate word, so
    /// their stores never race with the CPU's read-modify-writes of `local`.
    var external: UInt32 = 0

    /// INTR is asserted by the interrupt controller.
    static let interruptRequest: UInt32 = 1 << 0
    /// TF or a DR7 breakpoint is armed: execute one instruction at a time with debug checks.
    static let debugTraps: UInt32 = 1 << 1
    /// An interrupt shadow (sti, mov ss) covers the next instruction.
    static let shadow: UInt32 = 1 << 2
    /// A device was reached: its next deadline may have moved (the run loop recomputes its limit).
    static let limitsChanged: UInt32 = 1 << 3
    /// A task switch loaded a TSS whose T bit is set: #DB before the new task's first instruction.
    static let taskSwitchTrap: UInt32 = 1 << 4
    /// Stop the run at the next instruction boundary (external word).
    static let stopRequest: UInt32 = 1 << 0
    /// The platform pulsed the reset line: the run ends with `StopReason.reset` (external word).
    static let resetRequest: UInt32 = 1 << 1

    /// True when any request is pending.
    var isEmpty: Bool {
        @inline(__always) get { local | external == 0 }
    }
}
