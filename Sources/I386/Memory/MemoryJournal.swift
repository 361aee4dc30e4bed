/// An undo journal of physical memory, in epochs: the first write to a frame
/// in an epoch saves the frame's 4 KB as they were, so memory can be put
/// back as it stood when any kept epoch began (`Machine.snapshot()`).
///
/// Writes reach RAM through three doors, and each saves the frame first:
/// the slow path's `resolve` for a write (the fast path writes only through
/// TLB entries it filled, and a new epoch forgets them), page-table
/// accessed/dirty bits, and the loader's or debugger's `PhysicalMemory.store`.
final class MemoryJournal {
    /// The frames saved in one epoch, with their bytes as the epoch began.
    private struct Epoch {
        let id: UInt64
        var frames: [Int32] = []
        var copies: [UnsafeMutableRawPointer] = []
    }

    private var epochs: [Epoch] = []
    private var nextID: UInt64 = 0
    /// Bit n set: frame n is saved in the newest epoch.
    private let savedInNewest: UnsafeMutablePointer<UInt64>
    private static let bitmapWords = PhysicalMemory.frameCount / 64
    /// Page buffers of discarded epochs, for reuse.
    private var spare: [UnsafeMutableRawPointer] = []

    /// Bytes of frame copies held (spare buffers excluded).
    private(set) var byteCount = 0

    init() {
        savedInNewest = .allocate(capacity: Self.bitmapWords)
        savedInNewest.initialize(repeating: 0, count: Self.bitmapWords)
    }

    deinit {
        for epoch in epochs { for copy in epoch.copies { copy.deallocate() } }
        for copy in spare { copy.deallocate() }
        savedInNewest.deallocate()
    }

    /// True when an epoch with this id is kept.
    func contains(_ id: UInt64) -> Bool { epochs.contains { $0.id == id } }

    /// Starts a new epoch (what a snapshot taken now rewinds to) and returns its id.
    func beginEpoch() -> UInt64 {
        clearNewestBits()
        let id = nextID
        nextID &+= 1
        epochs.append(Epoch(id: id))
        return id
    }

    /// Saves `frame` (its bytes at `host`) unless the newest epoch has it already.
    @inline(__always)
    func save(frame: Int, host: UnsafeMutableRawPointer) {
        let word = frame >> 6
        let bit: UInt64 = 1 << UInt64(frame & 63)
        guard savedInNewest[word] & bit == 0, !epochs.isEmpty else { return }
        savedInNewest[word] |= bit
        let copy = spare.popLast() ?? UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 64)
        copy.copyMemory(from: host, byteCount: 4096)
        epochs[epochs.count - 1].frames.append(Int32(frame))
        epochs[epochs.count - 1].copies.append(copy)
        byteCount += 4096
    }

    /// Puts every frame written since epoch `id` began back as it was then,
    /// newest epoch first, and drops the later epochs; epoch `id` starts over
    /// empty. Returns the frames written back. Nil when `id` is not kept.
    func rewind(to id: UInt64, frames: UnsafeMutablePointer<UnsafeMutableRawPointer?>) -> [Int]? {
        guard let index = epochs.firstIndex(where: { $0.id == id }) else { return nil }
        clearNewestBits()
        var restored: [Int] = []
        while epochs.count > index {
            let epoch = epochs.removeLast()
            for (frame, copy) in zip(epoch.frames, epoch.copies) {
                if let host = frames[Int(frame)] { host.copyMemory(from: copy, byteCount: 4096) }
                restored.append(Int(frame))
                recycle(copy)
            }
        }
        epochs.append(Epoch(id: id))
        return restored
    }

    /// Drops epoch `id`: its copies move to the epoch before it where that
    /// one has none of the frame (so rewinding further back stays exact), or
    /// are freed when it is the oldest. The newest epoch is never dropped.
    func drop(_ id: UInt64) {
        guard let index = epochs.firstIndex(where: { $0.id == id }), index != epochs.count - 1 else { return }
        let epoch = epochs.remove(at: index)
        guard index > 0 else {
            for copy in epoch.copies { recycle(copy) }
            return
        }
        let earlier = Set(epochs[index - 1].frames)
        for (frame, copy) in zip(epoch.frames, epoch.copies) {
            if earlier.contains(frame) {
                recycle(copy)
            } else {
                epochs[index - 1].frames.append(frame)
                epochs[index - 1].copies.append(copy)
            }
        }
    }

    private func recycle(_ copy: UnsafeMutableRawPointer) {
        byteCount -= 4096
        if spare.count < 256 { spare.append(copy) } else { copy.deallocate() }
    }

    private func clearNewestBits() {
        guard let newest = epochs.last else { return }
        for frame in newest.frames { savedInNewest[Int(frame) >> 6] = 0 }
    }
}
