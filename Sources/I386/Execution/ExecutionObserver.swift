/// Watches a run instruction by instruction. `Machine.run(observer:)` is
/// generic over it, so a run without an observer pays nothing for observation.
public protocol ExecutionObserver {
    /// False only for `NoObserver`: lets the run loop drop every hook at compile time.
    static var isActive: Bool { get }
    /// True to receive the memory writes of each instruction.
    var observesMemoryWrites: Bool { get }
    /// True to have data reads recorded in `machine.readLogView` (slower).
    var observesMemoryReads: Bool { get }
    /// False when the next `willExecute` would do nothing: the run loop then skips the call.
    var wantsWillExecute: Bool { get }
    /// Called before the instruction at `machine.eip` executes (when `wantsWillExecute`).
    mutating func willExecute(_ machine: Machine)
    /// Called after an instruction completed; `writes` are its memory writes
    /// (empty unless `observesMemoryWrites`).
    mutating func didExecute(_ machine: Machine, instructionAddress: UInt32, writes: MemoryAccesses)
    /// Called when an instruction raised an exception, after it was delivered
    /// through the IDT (`delivered`; `writes` then holds the pushed frame) or not.
    mutating func didRaise(_ machine: Machine, exception: CPUException, instructionAddress: UInt32,
                           delivered: Bool, writes: MemoryAccesses)
    /// Called after an external interrupt was delivered through the IDT before
    /// the instruction at `interruptedAddress`; `writes` holds the pushed frame.
    mutating func didInterrupt(_ machine: Machine, vector: Int, interruptedAddress: UInt32, writes: MemoryAccesses)
}

extension ExecutionObserver {
    public static var isActive: Bool { true }
    public var observesMemoryWrites: Bool { false }
    public var observesMemoryReads: Bool { false }
    public var wantsWillExecute: Bool { true }
    public mutating func willExecute(_ machine: Machine) {}
    public mutating func didExecute(_ machine: Machine, instructionAddress: UInt32, writes: MemoryAccesses) {}
    public mutating func didRaise(_ machine: Machine, exception: CPUException, instructionAddress: UInt32,
                                  delivered: Bool, writes: MemoryAccesses) {}
    public mutating func didInterrupt(_ machine: Machine, vector: Int, interruptedAddress: UInt32,
                                      writes: MemoryAccesses) {}
}

/// The observer of an unobserved run: every hook is empty.
public struct NoObserver: ExecutionObserver {
    public static var isActive: Bool { false }
    public init() {}
}
