import I386
import Images
import KernelModel

/// The `state` words of the task_structs an image names, for `task-state` events.
struct WatchedTasks {
    /// Sorted task_struct addresses (their state is at offset 0).
    let addresses: [UInt32]
    private let low: UInt32
    private let high: UInt32

    init(addresses: [UInt32]) {
        self.addresses = addresses.sorted()
        low = self.addresses.first ?? 1
        high = self.addresses.last ?? 0
    }

    /// The object symbols ending in `task` that are at least task_struct's size up to `thread`.
    init(symbols: SymbolTable) {
        self.init(addresses: symbols.symbols.filter {
            $0.kind == .object && $0.name.hasSuffix("task") && $0.size >= Linux26.TaskStruct.thread
        }.map(\.value))
    }

    /// True when a write touches a watched state word (checked for every record with writes).
    @inline(__always)
    func isWritten(by writes: MemoryAccesses) -> Bool {
        guard low <= high else { return false }
        for index in 0..<writes.count {
            let write = writes[index]
            // The write [address, address+size) meets [low, high+4).
            if write.address &+ UInt32(write.size) > low && write.address < high &+ 4, task(coveredBy: write) != nil { return true }
        }
        return false
    }

    /// The watched task whose state word the write touches.
    func task(coveredBy write: MemoryWrite) -> UInt32? {
        for task in addresses where write.address < task &+ 4 && task < write.address &+ UInt32(write.size) { return task }
        return nil
    }
}
