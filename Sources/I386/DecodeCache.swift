/// Decoded instructions, one slot per byte address of each code page.
///
/// A flat table indexed by page number finds a page's slots with one load.
/// A write to a page clears its slots (and the previous page's, since an
/// instruction may start there and end here): self-modifying code stays correct.
final class DecodeCache {
    private let pages: UnsafeMutablePointer<UnsafeMutablePointer<Op>?>
    private var allocated: [Int] = []
    /// Bumped on every invalidation, so a run loop can tell its slots are stale.
    private(set) var generation: UInt64 = 0

    init() {
        pages = .allocate(capacity: GuestMemory.pageCount)
        pages.initialize(repeating: nil, count: GuestMemory.pageCount)
    }

    /// The slots of `page`, created (empty) on first use.
    @inline(__always)
    func slots(page: Int, memory: GuestMemory) -> UnsafeMutablePointer<Op> {
        if let slots = pages[page] { return slots }
        return createSlots(page: page, memory: memory)
    }

    @inline(never)
    private func createSlots(page: Int, memory: GuestMemory) -> UnsafeMutablePointer<Op> {
        let slots = UnsafeMutablePointer<Op>.allocate(capacity: 4096)
        slots.initialize(repeating: Op(), count: 4096)
        pages[page] = slots
        allocated.append(page)
        return slots
    }

    /// Records a decoded instruction's pages as code: writes to them invalidate.
    @inline(never)
    func noteDecoded(at address: UInt32, length: Int, memory: GuestMemory) {
        memory.markCodePage(Int(address >> 12))
        let last = address &+ UInt32(max(length, 1) - 1)
        if last >> 12 != address >> 12 { memory.markCodePage(Int(last >> 12)) }
    }

    /// Drops the decoded instructions of `page` and of the page before it
    /// (whose last instruction may straddle into `page`). Decoding marks the
    /// pages again.
    func invalidate(page: Int, memory: GuestMemory) {
        generation &+= 1
        for target in [page, page - 1] where target >= 0 {
            if let slots = pages[target] { slots.update(repeating: Op(), count: 4096) }
            memory.unmarkCodePage(target)
        }
    }

    func releaseAll() {
        for page in allocated {
            pages[page]?.deallocate()
        }
        pages.deallocate()
    }
}
