import X86Decoding

/// An i386 CPU in 32-bit protected mode with its guest memory.
///
/// The embedding API follows Unicorn's shape: map memory, load bytes, set
/// registers, then `step()` or `run(maxSteps:until:)`, which returns why it
/// stopped. A run never crashes the host: guest faults are `CPUException`
/// values and end the run with a `StopReason`.
public final class Machine {
    /// Guest memory.
    public let memory: GuestMemory

    /// eax, ecx, edx, ebx, esp, ebp, esi, edi, and a ninth slot that is always
    /// zero so that "no base/index register" costs no branch.
    let registers: UnsafeMutablePointer<UInt32>
    /// Always 1: `copyGeneralRegisters` steps through `registers` by it. A
    /// stride the compiler cannot see keeps it from merging the eight 4-byte
    /// reads into 16-byte loads, which would wait for the instruction's own
    /// 4-byte register stores to retire (a store-forwarding stall that was a
    /// fifth of the traced run loop's time).
    var registerReadStride = 1
    /// Segment bases by segment number, mirrored from `segments` for address arithmetic.
    let segmentBases: UnsafeMutablePointer<UInt32>

    /// The instruction pointer.
    public var eip: UInt32 = 0
    /// es, cs, ss, ds, fs, gs with their descriptor caches.
    public internal(set) var segments: [SegmentRegister] { didSet { mirrorSystemWords() } }
    /// CR0–CR4 (CR1 is reserved and reads as 0).
    public var cr0: UInt32 = 0x0000_0011 { didSet { mirrorSystemWords() } }  // PE, ET
    public var cr2: UInt32 = 0 { didSet { mirrorSystemWords() } }
    public var cr3: UInt32 = 0 { didSet { mirrorSystemWords() } }
    public var cr4: UInt32 = 0 { didSet { mirrorSystemWords() } }
    /// DR0–DR7 (DR4/DR5 alias DR6/DR7).
    public var debugRegisters: [UInt32] = [0, 0, 0, 0, 0, 0, 0xFFFF_0FF0, 0x0000_0400] { didSet { mirrorSystemWords() } }
    /// The selectors, CR0/2/3/4 and DR0–3/6/7 in `copyRegisterFile` order (its words 10–25),
    /// kept in step by the observers above so a tracer copies them in two vector moves.
    let systemWords: UnsafeMutablePointer<UInt32>
    /// Bumped whenever `systemWords` is refreshed: a tracer that has copied
    /// them at this generation can skip them (`copyGeneralRegisters`).
    public internal(set) var systemRegistersGeneration: UInt64 = 0
    public var gdtr = TableRegister()
    public var idtr = TableRegister(base: 0, limit: 0)
    public var ldtr: UInt16 = 0
    public var taskRegister: UInt16 = 0
    /// The TSS descriptor cached by the last task-register load.
    public internal(set) var taskSegment = SegmentRegister(selector: 0, base: 0, limit: 0, attributes: 0)
    /// Instructions retired so far (also what `rdtsc` returns).
    public internal(set) var instructionCount: UInt64 = 0
    /// Bytes written to port 0xE9 (the Bochs/QEMU debug console).
    public internal(set) var console: [UInt8] = []
    /// Reads from and writes to ports other than 0xE9, in order.
    public internal(set) var portLog: [(port: UInt16, size: Int, value: UInt32, isWrite: Bool)] = []

    /// SYSENTER_CS, SYSENTER_ESP, SYSENTER_EIP (MSRs 0x174–0x176).
    public var sysenterCS: UInt32 = 0
    public var sysenterESP: UInt32 = 0
    public var sysenterEIP: UInt32 = 0
    /// The x87/SSE state as an opaque 512-byte area (fxsave layout), for lazy-FPU code.
    var fpuState = [UInt8](repeating: 0, count: 512)
    /// Exceptions and interrupts delivered through the IDT, in order (vector, error code, eip).
    public internal(set) var deliveredEvents: [(vector: Int, errorCode: UInt32?, eip: UInt32)] = []

    /// Bit n set when segment register n is not flat (base 0, 4 GB, expand-up,
    /// present): memory operands through it are limit-checked.
    var nonFlatSegments: UInt8 = 0
    /// True while TF or a DR7 breakpoint is armed: the run loop checks debug traps.
    var debugTrapsArmed = false
    /// True while DR7 enables a breakpoint.
    var breakpointsArmed = false

    /// Execution stops with `endOfCode` when eip reaches this address (a snippet's end).
    public var endAddress: UInt32?

    // Lazy flags: the arithmetic flags of the last flag-setting instruction,
    // computed only when read. `flagsOperation == .none` means `storedFlags`
    // holds them.
    var storedFlags: UInt32 = 0x0000_0002
    var flagsOperation: LazyFlags = .none
    var flagsResult: UInt32 = 0
    var flagsLeft: UInt32 = 0
    var flagsRight: UInt32 = 0
    var flagsSignBit: UInt32 = 0x8000_0000
    /// CF preserved across inc/dec.
    var flagsCarry: UInt32 = 0

    /// The next instruction's address while an instruction executes;
    /// branch handlers overwrite it.
    var nextEIP: UInt32 = 0

    let decoder: X86Decoder
    let codeCache: DecodeCache
    var fetchBuffer: [UInt8] = []

    /// A machine with no memory mapped, flat ring-0 segments, and every register zero.
    public init() throws(DecoderSetupError) {
        memory = GuestMemory()
        decoder = try X86Decoder(syntax: .att)
        codeCache = DecodeCache()
        registers = .allocate(capacity: 9)
        registers.initialize(repeating: 0, count: 9)
        segmentBases = .allocate(capacity: 8)
        segmentBases.initialize(repeating: 0, count: 8)
        segments = SegmentName.allCases.map { .flat(selector: $0 == .cs ? 0x10 : 0x18, isCode: $0 == .cs) }
        systemWords = .allocate(capacity: 16)
        systemWords.initialize(repeating: 0, count: 16)
        memory.codeWriteHandler = { [unowned self] page in self.codeCache.invalidate(page: page, memory: self.memory) }
        mirrorSystemWords()
    }

    deinit {
        systemWords.deallocate()
        registers.deallocate()
        segmentBases.deallocate()
        codeCache.releaseAll()
    }

    // MARK: Memory API

    /// Maps `size` bytes at `address` with `permissions` (whole pages, zero-filled).
    public func map(_ address: UInt32, size: UInt32, permissions: MemoryPermissions = .all) {
        memory.map(address, size: size, permissions: permissions)
    }

    /// Copies `bytes` into mapped memory at `address` (ignores write protection).
    public func write(_ bytes: some Collection<UInt8>, at address: UInt32) throws(CPUException) {
        try memory.load(bytes, at: address)
    }

    /// Reads `count` bytes of mapped memory.
    public func read(_ address: UInt32, count: Int) throws(CPUException) -> [UInt8] {
        try memory.bytes(at: address, count: count)
    }

    // MARK: Segment state

    /// Replaces a segment register and its descriptor cache (no checks).
    public func setSegment(_ name: SegmentName, _ value: SegmentRegister) {
        segments[name.rawValue] = value
        segmentBases[name.rawValue] = value.base
        segmentsChanged()
    }

    /// Recomputes `nonFlatSegments` after a segment register load.
    func segmentsChanged() {
        var mask: UInt8 = 0
        for (number, segment) in segments.enumerated() {
            let isFlat = segment.base == 0 && segment.limit == 0xFFFF_FFFF && segment.attributes & 0x0C != 0x04
                && segment.attributes & 0x80 != 0
            if !isFlat && number != SegmentName.cs.rawValue { mask |= 1 << UInt8(number) }
        }
        nonFlatSegments = mask
    }

    /// Changes whenever a write lands on a page holding decoded instructions:
    /// anything cached per instruction address (a tracer's disassembly) is stale then.
    public var codeGeneration: UInt64 { codeCache.generation }

    /// The current privilege level (the RPL of CS).
    public var cpl: Int { Int(segments[SegmentName.cs.rawValue].selector & 3) }
}
