import I386
import KernelModel
import X86Decoding

/// The output formats of a trace.
public enum TraceFormat: String, CaseIterable, Sendable {
    /// Aligned columns for people (colour on a terminal).
    case text
    /// One JSON object per line (schema in the README).
    case jsonl
    /// Tenet's text trace: `reg=0xHEX` deltas, eip last, `mr=`/`mw=ADDR:HEXBYTES`.
    case tenet
    /// QEMU's `-d cpu` register dump before each instruction.
    case qemu
}

/// What a trace records and how.
public struct TraceConfiguration: Sendable {
    public var format: TraceFormat = .text
    public var syntax: AssemblySyntax = .att
    /// The kernel the events describe (Linux 2.6 with 8 KB stacks by default).
    public var kernel: KernelProfile = .linux26Default
    /// THREAD_SIZE for Linux 2.6's `current`, switch and stack annotations; setting
    /// it sets the Linux 2.6 profile's (other kernels ignore it).
    public var threadSize: UInt32 {
        get {
            if case .linux26(let profile) = kernel { return profile.threadSize }
            return Linux26.threadSize
        }
        set {
            if case .linux26 = kernel { kernel = .linux26(Linux26Profile(threadSize: newValue)) }
        }
    }
    public var useColor = false
    /// Registers to show (nil: all), by name (`Register.name`).
    public var registers: Set<String>?
    public var includeMemory = true
    /// Stop recording after this many instruction records (the run goes on).
    public var limit: Int?
    /// Start recording when eip first reaches this address.
    public var from: UInt32?
    /// Record only instructions inside this range (a function).
    public var only: Range<UInt32>?
    /// JSONL lines are formatted on a second thread while the run goes on
    /// (when there is a second CPU); false formats them on the running thread.
    public var formatsConcurrently = true
    /// Keep the deepest kernel esp per thread_union for `Tracer.stackReport` (Linux 2.6).
    public var reportsStacks = false

    public init() {}
}
