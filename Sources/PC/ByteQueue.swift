/// A first-in, first-out queue of bytes with O(1) amortized push and pop.
struct ByteQueue {
    private var storage: [UInt8] = []
    private var head = 0

    var count: Int { storage.count - head }
    var isEmpty: Bool { head == storage.count }

    mutating func append(_ byte: UInt8) {
        storage.append(byte)
    }

    mutating func append(contentsOf bytes: [UInt8]) {
        storage.append(contentsOf: bytes)
    }

    mutating func popFirst() -> UInt8? {
        guard head < storage.count else { return nil }
        let byte = storage[head]
        head += 1
        // Reclaim the consumed prefix once it dominates the storage.
        if head >= 1024, head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return byte
    }

    mutating func removeAll() {
        storage.removeAll(keepingCapacity: true)
        head = 0
    }
}
