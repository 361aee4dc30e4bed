/// A debugger's data watchpoint: a run stops after an instruction that
/// accesses any byte of `address..<address+length` in the way `kind` names
/// (`Machine.watchpoints`). Unlike DR0–DR3, the guest never sees it.
public struct Watchpoint: Sendable, Hashable {
    /// Which accesses trigger it.
    public enum Kind: Sendable, Hashable {
        /// Writes (gdb's `watch`, Z2).
        case write
        /// Reads (gdb's `rwatch`, Z3).
        case read
        /// Reads and writes (gdb's `awatch`, Z4).
        case access
    }

    /// The first watched byte (a linear address).
    public var address: UInt32
    /// How many bytes are watched (at least 1).
    public var length: UInt32
    public var kind: Kind

    public init(address: UInt32, length: UInt32, kind: Kind) {
        self.address = address
        self.length = max(length, 1)
        self.kind = kind
    }

    /// True when an access of `size` bytes at `start` overlaps the watched bytes.
    func overlaps(_ start: UInt32, size: Int) -> Bool {
        let first = UInt64(start)
        let last = first + UInt64(max(size, 1)) - 1
        let watched = UInt64(address)
        return first < watched + UInt64(length) && last >= watched
    }

    /// True when this watchpoint triggers on a read (`isWrite` false) or a write.
    func triggers(onWrite isWrite: Bool) -> Bool {
        switch kind {
        case .write: isWrite
        case .read: !isWrite
        case .access: true
        }
    }
}

/// Why a run stopped at a watchpoint: which one, the instruction that made
/// the access, and the watched bytes before and after it.
public struct WatchpointHit: Sendable, Equatable, CustomStringConvertible {
    public var watchpoint: Watchpoint
    /// True when the access that triggered it was a write.
    public var isWrite: Bool
    /// The address of the instruction that made the access (or where an
    /// exception or interrupt was delivered, when the delivery made it).
    public var instructionAddress: UInt32
    /// Where execution stood before that instruction (or delivery).
    public var positionBefore: ExecutionPosition
    /// The watched bytes before and after (unreadable bytes are left out).
    public var oldBytes: [UInt8]
    public var newBytes: [UInt8]

    public var description: String {
        let kind = isWrite ? "write" : "read"
        let range = "0x\(hex8(watchpoint.address)):\(watchpoint.length)"
        let old = oldBytes.map { hex2($0) }.joined(separator: " ")
        let new = newBytes.map { hex2($0) }.joined(separator: " ")
        return "\(kind) of \(range) by the instruction at 0x\(hex8(instructionAddress)), old [\(old)] new [\(new)]"
    }
}

/// A point in a machine's execution: instructions retired plus interruptions
/// (exceptions and external interrupts) delivered. Each debugger single-step
/// advances it by one (an instruction, or a delivery that lands in a handler),
/// or by two when an instruction's debug trap is delivered with it; positions
/// are ordered by their sum.
public struct ExecutionPosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Instructions retired (`CPUState.instructionCount`).
    public var instructions: UInt64
    /// Exceptions and interrupts delivered (`CPUState.interruptionCount`).
    public var interruptions: UInt64

    public init(instructions: UInt64, interruptions: UInt64) {
        self.instructions = instructions
        self.interruptions = interruptions
    }

    /// The steps taken: instructions plus interruptions.
    public var steps: UInt64 { instructions &+ interruptions }

    public static func < (left: ExecutionPosition, right: ExecutionPosition) -> Bool {
        left.steps != right.steps ? left.steps < right.steps : left.instructions < right.instructions
    }

    public var description: String { "\(instructions)+\(interruptions)" }
}
