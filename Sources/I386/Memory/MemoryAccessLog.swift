/// The memory accesses of one instruction, as an observer sees them: a view
/// of the machine's log, valid only for the duration of the observer call
/// (copy it, e.g. with `Array(writes)`, to keep it).
public struct MemoryAccesses: RandomAccessCollection {
    let buffer: UnsafeBufferPointer<MemoryWrite>

    public var startIndex: Int { 0 }
    public var endIndex: Int { buffer.count }
    public subscript(position: Int) -> MemoryWrite { buffer[position] }
}

/// The machine's two logs.
struct AccessLogs {
    var reads: AccessLog
    var writes: AccessLog
}

/// Accesses recorded while an observer asks for them, in one growable raw
/// buffer: appending is a store and clearing is a counter reset, with no
/// copy-on-write checks or reference counting in the per-instruction path.
struct AccessLog {
    private var base: UnsafeMutablePointer<MemoryWrite>
    private var capacity: Int
    private(set) var count = 0

    init() {
        capacity = 16
        base = .allocate(capacity: capacity)
    }

    /// Frees the buffer (the owner's deinit calls this once).
    func deallocate() { base.deallocate() }

    mutating func append(_ access: MemoryWrite) {
        if count == capacity { grow() }
        (base + count).initialize(to: access)
        count += 1
    }

    @inline(never)
    private mutating func grow() {
        let larger = UnsafeMutablePointer<MemoryWrite>.allocate(capacity: capacity * 2)
        larger.moveInitialize(from: base, count: count)
        base.deallocate()
        base = larger
        capacity *= 2
    }

    mutating func removeAll() { count = 0 }

    var accesses: MemoryAccesses { MemoryAccesses(buffer: UnsafeBufferPointer(start: base, count: count)) }
}
