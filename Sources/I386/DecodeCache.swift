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

    // MARK: Stop markers

    private var stopAddresses: Set<UInt32> = []
    /// The real ops behind the stop markers currently in slots.
    private var hiddenOps: [UInt32: Op] = [:]

    /// Puts a `.stop` op at each address (the real op is kept and restored by `removeStops`).
    func installStops(_ addresses: [UInt32], memory: GuestMemory) {
        for address in addresses {
            stopAddresses.insert(address)
            let slot = slots(page: Int(address >> 12), memory: memory) + Int(address & 0xFFF)
            if slot.pointee.kind != .undecoded && slot.pointee.kind != .stop {
                hiddenOps[address] = slot.pointee
                slot.pointee = Self.stopOp
            }
        }
    }

    /// Restores the real ops behind the stop markers.
    func removeStops() {
        for address in stopAddresses {
            guard let slots = pages[Int(address >> 12)] else { continue }
            let slot = slots + Int(address & 0xFFF)
            if slot.pointee.kind == .stop { slot.pointee = hiddenOps[address] ?? Op() }
        }
        stopAddresses.removeAll(keepingCapacity: true)
        hiddenOps.removeAll(keepingCapacity: true)
    }

    /// `op`, or a stop marker hiding it when `address` is a stop address.
    func applyingStop(_ op: Op, at address: UInt32) -> Op {
        guard stopAddresses.contains(address) else { return op }
        hiddenOps[address] = op
        return Self.stopOp
    }

    private static let stopOp: Op = {
        var op = Op()
        op.kind = .stop
        return op
    }()

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
