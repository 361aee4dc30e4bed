import X86Decoding

/// An i386 CPU in 32-bit protected mode with its physical memory, MMU and buses.
///
/// The embedding API follows Unicorn's shape: map memory, load bytes, set
/// registers (`machine[.eax]`), then `step()` or `run(maxSteps:until:)`,
/// which returns why it stopped; `state` and `restore(_:)` save and put back
/// the CPU. A run never crashes the host: guest faults are `CPUException`
/// values and end the run with a `StopReason` when no IDT takes them.
public final class Machine {
    /// The CPU state, at a stable address for the interpreter.
    @usableFromInline let state: UnsafeMutablePointer<CPUState>
    /// Views into `state`: the nine general-register slots, the six segment
    /// registers by hardware number, DR0–DR7.
    @usableFromInline var registers: UnsafeMutablePointer<UInt32> {
        @inline(__always) get { UnsafeMutableRawPointer(state).assumingMemoryBound(to: UInt32.self) }
    }
    let segments: UnsafeMutablePointer<SegmentRegister>
    let debugRegisters: UnsafeMutablePointer<UInt32>

    /// RAM, ROM and memory-mapped devices by physical address.
    public let physicalMemory: PhysicalMemory
    /// Linear-to-host translations for the current privilege class (the TLB's fast tables).
    var readTable: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    var writeTable: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    /// The jump cache of the current privilege class (eip → block).
    var jumpTable: UnsafeMutablePointer<JumpEntry>
    /// The TLB: both privilege classes' tables and what fills and flushes them.
    let tlb: TranslationBuffer
    /// Decoded blocks by physical address.
    let blocks: BlockCache
    /// I/O-port devices.
    public let ports = PortBus()
    /// Answers the INTA cycle when INTR is asserted (`setInterruptRequest`).
    public var interruptController: (any InterruptAcknowledging)? {
        get { connectedController }
        set { connectedController = newValue }
    }
    /// Devices that keep time: advanced to the CPU's `time` before every
    /// device access and whenever their next deadline comes.
    public var timeline: (any DeviceTimeline)? {
        get { connectedTimeline }
        set { connectedTimeline = newValue }
    }
    // The stored connections: internal, so the module sees every access and
    // needs no run-time exclusivity check on the device path.
    var connectedController: (any InterruptAcknowledging)?
    var connectedTimeline: (any DeviceTimeline)?

    /// Bumped whenever a selector, control or debug register changes: an
    /// observer that copied them at this generation can skip them.
    @inlinable public var systemRegistersGeneration: UInt64 { systemGeneration.pointee }
    /// Its storage, behind a pointer so the per-instruction read in a tracer
    /// needs no exclusivity check.
    @usableFromInline let systemGeneration: UnsafeMutablePointer<UInt64>
    /// Bit n set when segment register n is not flat (base 0, 4 GB, expand-up,
    /// present): memory operands through it are limit-checked.
    var nonFlatSegments: UInt8 = 0
    /// True while DR7 enables a breakpoint.
    var breakpointsArmed = false
    /// Set while a task switch is past its commit point: a fault then belongs
    /// to the new task and returns to this address, its first instruction
    /// (`handleFault` takes it).
    var taskSwitchResumeAddress: UInt32?
    /// The exceptions of the last triple fault, in the order they were raised
    /// (the first fault, the one raised delivering it, …); empty until one happens.
    public internal(set) var tripleFaultChain: [CPUException] = []

    /// Execution stops with `endOfCode` when eip reaches this address (a snippet's end).
    public var endAddress: UInt32?
    /// Exceptions and interrupts delivered through the IDT, in order (vector, error code, return eip).
    public internal(set) var deliveredEvents: [(vector: Int, errorCode: UInt32?, eip: UInt32)] = []

    /// The address of the instruction after the one executing: eip itself,
    /// which the run loop sets to a block's fall-through address before its
    /// ops run (only a block's last op reads or branches it).
    var nextEIP: UInt32 {
        @inline(__always) get { state.pointee.eip }
        @inline(__always) set { state.pointee.eip = newValue }
    }
    /// Set by an op that ends the run loop's block early (hlt, an invalidated
    /// block's stale op): why.
    var blockExit: BlockExit = .none
    /// True while an instruction runs alone with the instruction count
    /// exact; a device reached from the middle of a block would see a stale
    /// time (see `CPUException.restartExactly`).
    var timeIsExact = false
    /// When the devices next need the CPU, in instruction-count units.
    var deviceLimit: UInt64 = .max
    /// Accesses are checked as user accesses (CPL 3 and no supervisor access in progress).
    var userAccess = false
    /// Nesting of `asSupervisor`.
    var supervisorAccessDepth = 0

    /// Data breakpoints from DR7 and the ones they hit since last cleared (bit n for DRn).
    var watches: [Watch] = []
    /// I/O breakpoints (DR7 R/W = 10 with CR4.DE): ports, not addresses.
    var ioWatches: [Watch] = []
    var watchHits: UInt8 = 0
    /// The debugger's watchpoints (`watchpoints`), and the first one an
    /// access hit since `debugStep` last looked, with the bytes it held then.
    var debuggerWatches: [Watchpoint] = []
    var debuggerWatchHit: (index: Int, isWrite: Bool, address: UInt32, position: ExecutionPosition, oldBytes: [UInt8])?
    /// True while either kind of watch is armed: accesses in the slow path are checked.
    var hasDataWatches = false
    /// The debugger's catchpoints (`caughtVectors`), and where the last
    /// caught exception stopped a run (running on from there delivers it).
    var caughtVectorMask: UInt32 = 0
    var caughtExceptionPosition: ExecutionPosition?
    /// Set when a run starts on one of its breakpoints: the instruction there
    /// runs instead of stopping again (a debugger's continue or step from a breakpoint).
    var breakpointToPass: (address: UInt32, position: ExecutionPosition)?
    /// While true, reads (writes) are recorded for the observer and take the slow path.
    var isLoggingReads = false
    var isLoggingWrites = false
    /// The logs, behind a pointer: appending is then a plain store, with no
    /// exclusivity check on a Machine property in the observed run loop.
    let accessLogs: UnsafeMutablePointer<AccessLogs>


    let decoder: X86Decoder
    var fetchBuffer: [UInt8] = []

    /// A machine with no memory, flat ring-0 segments and every register zero.
    public init() throws(DecoderSetupError) {
        decoder = try X86Decoder(syntax: .att)
        state = .allocate(capacity: 1)
        state.initialize(to: CPUState())
        let base = UnsafeMutableRawPointer(state)
        precondition(Self.offset(\.generalRegisters) == 0, "kstep: the general registers must open CPUState")
        segments = (base + Self.offset(\.segmentRegisters)).assumingMemoryBound(to: SegmentRegister.self)
        debugRegisters = (base + Self.offset(\.debugRegisters)).assumingMemoryBound(to: UInt32.self)
        systemGeneration = .allocate(capacity: 1)
        systemGeneration.initialize(to: 0)
        accessLogs = .allocate(capacity: 1)
        accessLogs.initialize(to: AccessLogs(reads: AccessLog(), writes: AccessLog()))
        physicalMemory = PhysicalMemory()
        tlb = TranslationBuffer()
        readTable = tlb.readTable(user: false)
        writeTable = tlb.writeTable(user: false)
        blocks = BlockCache()
        jumpTable = blocks.jumpTable(user: false)
        // The machine owns its physical memory: these handlers hold it
        // unowned(unsafe) (no side table, so no slow reference counting on the machine).
        physicalMemory.codeWriteHandler = { [unowned(unsafe) self] frame in self.codeFrameWritten(frame) }
        physicalMemory.codeMarkHandler = { [unowned(unsafe) self] frame in
            if let host = self.physicalMemory.frames[frame] { self.tlb.forgetWrites(toHost: host) }
        }
        physicalMemory.layoutHandler = { [unowned(unsafe) self] in self.flushTLB(includingGlobal: true) }
    }

    private static func offset<T>(_ path: KeyPath<CPUState, T>) -> Int {
        guard let offset = MemoryLayout<CPUState>.offset(of: path) else {
            fatalError("kstep: CPUState field without a stable offset")
        }
        return offset
    }

    deinit {
        accessLogs.pointee.reads.deallocate()
        accessLogs.pointee.writes.deallocate()
        accessLogs.deallocate()
        systemGeneration.deallocate()
        state.deinitialize(count: 1)
        state.deallocate()
    }

    // MARK: State

    /// A copy of the CPU state (what a snapshot saves).
    public var cpuState: CPUState { state.pointee }

    /// Puts back a CPU state taken with `cpuState`, with the side effects of
    /// loading it: TLB flush, debug arming, the cached segment information.
    public func restore(_ saved: CPUState) {
        let oldUser = cpl == 3
        state.pointee = saved
        systemGeneration.pointee &+= 1
        var mask: UInt8 = 0
        for number in 0..<6 where number != SegmentName.cs.rawValue && !segments[number].isFlatData {
            mask |= 1 << UInt8(number)
        }
        nonFlatSegments = mask
        if oldUser != (cpl == 3) { privilegeClassChanged() }
        flushTLB(includingGlobal: true)
        updateDebugArming()
    }

    // MARK: Memory API (Unicorn's map, protect, read, write)

    /// Maps `size` bytes of RAM at `address` with `permissions` (whole pages,
    /// zero-filled; pages already mapped keep their bytes and get the new permissions).
    public func map(_ address: UInt32, size: UInt32, permissions: MemoryPermissions = .all) {
        physicalMemory.map(address, size: size, permissions: permissions)
    }

    /// Copies `bytes` to linear `address` through the current paging, ignoring
    /// write protection (a loader's or debugger's write; decoded code is dropped).
    public func write(_ bytes: some Collection<UInt8>, at address: UInt32) throws(CPUException) {
        var offset: UInt32 = 0
        for byte in bytes {
            let linear = address &+ offset
            guard let physical = peekTranslation(linear) else { throw .pageFault(address: linear, errorCode: 2) }
            guard physicalMemory.store(byte, at: physical) else { throw .pageFault(address: linear, errorCode: 2) }
            offset &+= 1
        }
    }

    /// Reads `count` bytes at linear `address` through the current paging,
    /// ignoring read protection and without setting accessed bits (a debugger's read).
    public func read(_ address: UInt32, count: Int) throws(CPUException) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(max(0, count))
        for index in 0..<max(0, count) {
            let linear = address &+ UInt32(truncatingIfNeeded: index)
            guard let physical = peekTranslation(linear), let byte = physicalMemory.peek(physical) else {
                throw .pageFault(address: linear, errorCode: 0)
            }
            result.append(byte)
        }
        return result
    }

    /// The little-endian 32-bit word at linear `address` (a debugger's read), nil where unmapped.
    public func readWord(at address: UInt32) -> UInt32? {
        var value: UInt32 = 0
        for index in 0..<4 as Range<UInt32> {
            guard let physical = peekTranslation(address &+ index), let byte = physicalMemory.peek(physical) else {
                return nil
            }
            value |= UInt32(byte) << (8 * index)
        }
        return value
    }

    /// Changes whenever decoded code is dropped because memory under it was
    /// written: anything cached per instruction address (a tracer's disassembly) is stale then.
    public var codeGeneration: UInt64 { blocks.invalidations }
}

/// Why the block being executed ended before its last op.
enum BlockExit {
    case none
    /// hlt retired.
    case halted
    /// A stop address (`until`, a snippet's end) was reached.
    case stop
    /// The instruction retired but changed what the run loop watches (IF, TF): leave the block after it.
    case retired
    /// The instruction did not retire: its block was invalidated (its code was written), or a `rep` stopped between iterations for an event. Execution resumes at its address.
    case notRetired
}

extension Machine {
    /// The little-endian 32-bit word at linear `address` (a debugger's read);
    /// #PF naming the address when nothing is there.
    public func word(at address: UInt32) throws(CPUException) -> UInt32 {
        guard let value = readWord(at: address) else { throw .pageFault(address: address, errorCode: 0) }
        return value
    }
}
