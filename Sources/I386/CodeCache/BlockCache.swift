/// A straight-line run of decoded instructions: entered at `eip`, ending
/// after a branch or any op that `endsBlock`, at a page end, or before a
/// stop address. Its ops follow the header in the same allocation.
struct Block {
    /// The eip it is entered at (ops hold absolute branch targets in eip space).
    var eip: UInt32
    /// The physical address of its first byte.
    var physicalAddress: UInt32
    /// The frame holding the tail of an instruction that straddles into the
    /// next page, or `Block.noFrame`: a lookup checks it still translates there.
    var tailFrame: UInt32
    /// The linear page of that tail.
    var tailPage: UInt32
    /// How many ops follow the header (not counting the `blockEnd` sentinel after them).
    var count: UInt32
    /// The eip after its last op (where execution goes on unless that op branches).
    var fallThrough: UInt32
    /// False once its code was written (it stays allocated until the cache is flushed).
    var isValid: Bool
    /// A block of one instruction that reaches a device: the instruction count
    /// is exact when it runs (see `Machine.timeIsExact`).
    var isExactTime: Bool
    /// The next block in the same hash bucket.
    var hashNext: UnsafeMutablePointer<Block>?

    static let noFrame = UInt32.max
}

/// A jump-cache slot: the eip last looked up there and its block (nil: empty).
struct JumpEntry {
    var eip: UInt32 = 0
    var block: UnsafeMutablePointer<Block>?
}

extension UnsafeMutablePointer where Pointee == Block {
    /// The block's ops.
    var ops: UnsafeMutablePointer<Op> { UnsafeMutableRawPointer(self + 1).assumingMemoryBound(to: Op.self) }
}

/// Decoded blocks keyed by physical address and eip, found through a small
/// direct-mapped cache keyed by eip for each privilege class (flushed with
/// the TLB, since which frame an eip reaches depends on the page tables).
///
/// Blocks live in an arena of chunks; an invalidated block stays there (its
/// ops turned into `staleCode`, so a run inside it stops at the next op)
/// until the whole cache is flushed, which happens when the arena grows past
/// `arenaLimit` or the stop addresses change.
final class BlockCache {
    private static let bucketCount = 1 << 16
    private static let jumpCacheSize = 1 << 12
    private static let chunkSize = 1 << 20
    private static let arenaLimit = 64 << 20
    /// Longest block, in ops.
    static let maxOps = 64

    private var buckets: UnsafeMutablePointer<UnsafeMutablePointer<Block>?>
    /// The jump caches, supervisor then user: eip → block.
    private let jumpEntries: UnsafeMutablePointer<JumpEntry>
    /// Blocks by every frame they hold bytes of, for invalidation.
    private var blocksByFrame: [UInt32: [UnsafeMutablePointer<Block>]] = [:]
    private var chunks: [UnsafeMutableRawPointer] = []
    private var chunkUsed = BlockCache.chunkSize
    private var arenaBytes = 0

    /// Bumped whenever blocks are invalidated or flushed.
    private(set) var invalidations: UInt64 = 0

    // Stop addresses (`until`, a snippet's end, breakpoints): blocks end before them.
    private(set) var hasStops = false
    private var untilAddress: UInt32?
    private var endAddress: UInt32?
    /// A debugger's breakpoints (`Machine.breakpoints`).
    var breakpoints: Set<UInt32> = [] {
        didSet {
            guard breakpoints != oldValue else { return }
            hasStops = untilAddress != nil || endAddress != nil || !breakpoints.isEmpty
            flush()
        }
    }

    init() {
        buckets = .allocate(capacity: Self.bucketCount)
        buckets.initialize(repeating: nil, count: Self.bucketCount)
        jumpEntries = .allocate(capacity: 2 * Self.jumpCacheSize)
        jumpEntries.initialize(repeating: JumpEntry(), count: 2 * Self.jumpCacheSize)
    }

    deinit {
        buckets.deallocate()
        jumpEntries.deallocate()
        for chunk in chunks { chunk.deallocate() }
    }

    @inline(__always)
    static func jumpSlot(_ eip: UInt32) -> Int { Int((eip ^ (eip >> 12)) & UInt32(jumpCacheSize - 1)) }

    /// The jump cache of a privilege class (what `Machine.jumpTable` points at).
    func jumpTable(user: Bool) -> UnsafeMutablePointer<JumpEntry> { jumpEntries + (user ? Self.jumpCacheSize : 0) }

    @inline(__always)
    private static func bucket(_ physical: UInt32, _ eip: UInt32) -> Int {
        Int(((physical &* 0x9E37_79B1) ^ eip) >> 16) & (bucketCount - 1)
    }

    /// The block for `eip` at `physical` from the hash table (after a jump-cache miss).
    func find(physical: UInt32, eip: UInt32) -> UnsafeMutablePointer<Block>? {
        var candidate = buckets[Self.bucket(physical, eip)]
        while let block = candidate {
            if block.pointee.physicalAddress == physical && block.pointee.eip == eip && block.pointee.isValid {
                return block
            }
            candidate = block.pointee.hashNext
        }
        return nil
    }

    /// Puts `block` in the jump cache of the privilege class.
    func remember(_ block: UnsafeMutablePointer<Block>, user: Bool) {
        jumpTable(user: user)[Self.jumpSlot(block.pointee.eip)] = JumpEntry(eip: block.pointee.eip, block: block)
    }

    /// Copies `ops` into a new block and indexes it under the frames its bytes come from.
    func insert(eip: UInt32, physical: UInt32, tailFrame: UInt32, tailPage: UInt32,
                ops: UnsafeBufferPointer<Op>) -> UnsafeMutablePointer<Block> {
        // The ops, then the `blockEnd` sentinel that returns to the run loop.
        let bytes = MemoryLayout<Block>.stride + (ops.count + 1) * MemoryLayout<Op>.stride
        if chunkUsed + bytes > Self.chunkSize {
            if arenaBytes + Self.chunkSize > Self.arenaLimit { flush() }
            chunks.append(UnsafeMutableRawPointer.allocate(byteCount: Self.chunkSize, alignment: 64))
            chunkUsed = 0
            arenaBytes += Self.chunkSize
        }
        let raw = (chunks[chunks.count - 1] + chunkUsed)
        chunkUsed += (bytes + 63) & ~63
        let block = raw.bindMemory(to: Block.self, capacity: 1)
        let bucket = Self.bucket(physical, eip)
        let fallThrough = ops.last.map { $0.address &+ UInt32($0.length) } ?? eip
        let isExactTime = ops.count == 1 && (ops[0].needsExactTime || deviceAccessAddresses.contains(physical))
        block.initialize(to: Block(eip: eip, physicalAddress: physical, tailFrame: tailFrame, tailPage: tailPage,
                                   count: UInt32(ops.count), fallThrough: fallThrough, isValid: true,
                                   isExactTime: isExactTime, hashNext: buckets[bucket]))
        let target = (raw + MemoryLayout<Block>.stride).bindMemory(to: Op.self, capacity: ops.count + 1)
        if let source = ops.baseAddress { target.initialize(from: source, count: ops.count) }
        var sentinel = Op()
        sentinel.kind = .blockEnd
        sentinel.address = fallThrough
        (target + ops.count).initialize(to: sentinel)
        buckets[bucket] = block
        blocksByFrame[physical >> 12, default: []].append(block)
        if tailFrame != Block.noFrame { blocksByFrame[tailFrame, default: []].append(block) }
        return block
    }

    /// Physical addresses of instructions seen reaching a device from the
    /// middle of a block: they are built as blocks of their own from then on,
    /// so the count is exact when they run (QEMU re-translates such an
    /// instruction to end its block, for the same reason).
    private(set) var deviceAccessAddresses = Set<UInt32>()

    /// Records that the instruction at `physical` reaches a device and drops
    /// `block`, which holds it in its middle (it is rebuilt without).
    func noteDeviceAccess(physical: UInt32, in block: UnsafeMutablePointer<Block>) {
        if deviceAccessAddresses.count < 1 << 16 { deviceAccessAddresses.insert(physical) }
        invalidate([block])
    }

    /// Invalidates every block holding bytes of `frame` (its code was written).
    func invalidate(frame: UInt32) {
        guard let affected = blocksByFrame.removeValue(forKey: frame) else { return }
        invalidate(affected)
    }

    private func invalidate(_ affected: [UnsafeMutablePointer<Block>]) {
        invalidations &+= 1
        for block in affected where block.pointee.isValid {
            block.pointee.isValid = false
            // A run inside it stops at its next op and fetches again.
            let ops = block.ops
            for index in 0..<Int(block.pointee.count) { ops[index].kind = .staleCode }
            unlink(block)
            let slot = Self.jumpSlot(block.pointee.eip)
            for user in [false, true] where jumpTable(user: user)[slot].block == block {
                jumpTable(user: user)[slot] = JumpEntry()
            }
        }
    }

    private func unlink(_ block: UnsafeMutablePointer<Block>) {
        let bucket = Self.bucket(block.pointee.physicalAddress, block.pointee.eip)
        var previous: UnsafeMutablePointer<Block>?
        var candidate = buckets[bucket]
        while let current = candidate {
            if current == block {
                if let previous {
                    previous.pointee.hashNext = current.pointee.hashNext
                } else {
                    buckets[bucket] = current.pointee.hashNext
                }
                return
            }
            previous = current
            candidate = current.pointee.hashNext
        }
    }

    /// Forgets which block each eip reaches (the TLB was flushed, or CS's base changed).
    func flushJumpCaches() {
        jumpEntries.update(repeating: JumpEntry(), count: 2 * Self.jumpCacheSize)
    }

    /// Drops every block. The frames stay marked as code in `PhysicalMemory`
    /// (a write there just finds nothing to invalidate).
    func flush() {
        invalidations &+= 1
        buckets.update(repeating: nil, count: Self.bucketCount)
        flushJumpCaches()
        blocksByFrame.removeAll()
        for chunk in chunks { chunk.deallocate() }
        chunks.removeAll()
        chunkUsed = Self.chunkSize
        arenaBytes = 0
    }

    // MARK: Stop addresses

    /// Sets the run's stop addresses; blocks built for other ones are dropped.
    func setStopAddresses(until: UInt32?, end: UInt32?) {
        guard until != untilAddress || end != endAddress else { return }
        untilAddress = until
        endAddress = end
        hasStops = until != nil || end != nil || !breakpoints.isEmpty
        flush()
    }

    /// True when `address` is a stop address (a block must end before it).
    @inline(__always)
    func isStop(_ address: UInt32) -> Bool {
        address == untilAddress || address == endAddress || (!breakpoints.isEmpty && breakpoints.contains(address))
    }

    /// Why the run stops at `eip`, if it is a stop address.
    @inline(__always)
    func stopReason(at eip: UInt32) -> StopReason? {
        if eip == untilAddress { return .reachedUntil }
        if eip == endAddress { return .endOfCode }
        if !breakpoints.isEmpty && breakpoints.contains(eip) { return .breakpoint(eip) }
        return nil
    }

    /// A block outside the cache (not found, not invalidated): the one
    /// instruction at a stop address, which a debugger resuming there runs
    /// once. Free it with `releaseTransient`.
    func makeTransient(eip: UInt32, physical: UInt32, ops: UnsafeBufferPointer<Op>) -> UnsafeMutablePointer<Block> {
        let bytes = MemoryLayout<Block>.stride + max(ops.count, 1) * MemoryLayout<Op>.stride
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        let block = raw.bindMemory(to: Block.self, capacity: 1)
        let fallThrough = ops.last.map { $0.address &+ UInt32($0.length) } ?? eip
        block.initialize(to: Block(eip: eip, physicalAddress: physical, tailFrame: Block.noFrame, tailPage: 0,
                                   count: UInt32(ops.count), fallThrough: fallThrough, isValid: true,
                                   isExactTime: true, hashNext: nil))
        let target = (raw + MemoryLayout<Block>.stride).bindMemory(to: Op.self, capacity: max(ops.count, 1))
        if let source = ops.baseAddress { target.initialize(from: source, count: ops.count) }
        return block
    }

    /// Frees a block from `makeTransient`.
    func releaseTransient(_ block: UnsafeMutablePointer<Block>) {
        UnsafeMutableRawPointer(block).deallocate()
    }
}
