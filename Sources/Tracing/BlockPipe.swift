import Foundation
import Synchronization

/// Carries records from the run loop to a consumer (the JSONL formatter) in
/// byte blocks, in order: the run loop appends records to its current block
/// with `reserve`/`commit`, and full blocks go to the consumer through a
/// ring of `ringSize` blocks, so the run loop waits when the consumer falls
/// behind.
///
/// One producer thread calls `reserve`, `commit`, `drain` and `close`. With
/// `threaded`, the consumer runs on a thread of its own, started with the
/// first block; without, `consume` runs on the producer's thread as each
/// block fills (one CPU, or tests that compare the two). The threads hand
/// blocks over through two counters, not locks: a wake-up through the kernel
/// per block cost more than formatting it in a VM.
final class BlockPipe: @unchecked Sendable {
    static let blockSize = 1 << 16
    /// 2 MB in flight: ten thousand records or more, so the consumer's naps
    /// (a `usleep(50)` takes about 135 µs in a VM) never leave the producer waiting.
    static let ringSize = 32

    /// A submitted block.
    private struct Slot {
        var start: UnsafeMutableRawPointer
        var length: Int
        /// A one-off allocation for a record larger than a block (freed after consuming).
        var isJumbo: Bool
    }

    private let consume: (UnsafeRawBufferPointer) -> Void
    private let threaded: Bool
    /// The ring's blocks, allocated with the first record.
    private var pool: [UnsafeMutableRawPointer] = []
    private let slots: UnsafeMutablePointer<Slot>

    // Shared between the threads, each on a cache line of its own.
    /// Blocks submitted so far: slots below this (mod `ringSize`) are the consumer's.
    private let submitted = PaddedAtomic()
    /// Blocks consumed so far: their pool blocks are the producer's again.
    private let consumed = PaddedAtomic()
    /// 1 while the consumer thread runs; the producer sets 2 to ask it to end.
    private let consumerState = PaddedAtomic()

    // The producer's state.
    private var block: UnsafeMutableRawPointer?
    private var used = 0
    private var capacity = 0
    private var submittedCount = 0
    private var hasConsumerThread = false

    /// - Parameter consume: called with each block's records, in order (on
    ///   the consumer thread when `threaded`).
    init(threaded: Bool, consume: @escaping (UnsafeRawBufferPointer) -> Void) {
        self.consume = consume
        self.threaded = threaded
        slots = .allocate(capacity: Self.ringSize)
    }

    deinit {
        close()
        for block in pool { block.deallocate() }
        slots.deallocate()
    }

    /// Room for a record of `length` bytes at the end of the current block;
    /// `commit(length)` makes it part of the block.
    @inline(__always)
    func reserve(_ length: Int) -> UnsafeMutableRawPointer {
        if let block, used + length <= capacity { return block + used }
        return startBlock(for: length)
    }

    @inline(__always)
    func commit(_ length: Int) { used += length }

    @inline(never)
    private func startBlock(for length: Int) -> UnsafeMutableRawPointer {
        submitCurrent()
        if !hasConsumerThread { start() }
        // The ring slot's pool block is free once the consumer is within ringSize of us.
        // The ring is full only while the consumer is busy: wait for it without sleeping.
        var backoff = Backoff(sleeps: false)
        while submittedCount - consumed.value.load(ordering: .acquiring) >= Self.ringSize { backoff.wait() }
        let next = length > Self.blockSize
            ? UnsafeMutableRawPointer.allocate(byteCount: length, alignment: 16)
            : pool[submittedCount % Self.ringSize]
        block = next
        capacity = max(length, Self.blockSize)
        return next
    }

    /// Allocates the ring and starts the consumer thread (if not yet, or again after `close`).
    private func start() {
        if pool.isEmpty {
            pool = (0..<Self.ringSize).map { _ in .allocate(byteCount: Self.blockSize, alignment: 16) }
        }
        guard threaded else { return }
        hasConsumerThread = true
        consumerState.value.store(1, ordering: .releasing)
        let thread = Thread { [self] in consumerLoop() }
        thread.name = "kstep trace formatter"
        thread.start()
    }

    /// Hands the current block, if it has records, to the consumer.
    private func submitCurrent() {
        guard let current = block else { return }
        let slot = Slot(start: current, length: used, isJumbo: capacity > Self.blockSize)
        block = nil
        used = 0
        guard slot.length > 0 || slot.isJumbo else { return }
        guard threaded else {
            consumeSlot(slot)
            return
        }
        slots[submittedCount % Self.ringSize] = slot
        submittedCount += 1
        submitted.value.store(submittedCount, ordering: .releasing)
    }

    /// Returns once the consumer has handled every record committed so far.
    func drain() {
        submitCurrent()
        var backoff = Backoff(sleeps: true)
        while consumed.value.load(ordering: .acquiring) < submittedCount { backoff.wait() }
    }

    /// Drains and ends the consumer thread; a later record starts it again.
    func close() {
        drain()
        guard hasConsumerThread else { return }
        hasConsumerThread = false
        consumerState.value.store(2, ordering: .releasing)
        var backoff = Backoff(sleeps: true)
        while consumerState.value.load(ordering: .acquiring) != 0 { backoff.wait() }
    }

    /// The consumer thread. It keeps what it needs in locals: the producer
    /// writes its own fields of this object for every record, and reading them
    /// while waiting would pull that cache line away from it.
    private func consumerLoop() {
        let submitted = submitted, consumed = consumed, state = consumerState, slots = slots
        var done = consumed.value.load(ordering: .relaxed)
        var backoff = Backoff(sleeps: true)
        while true {
            if done < submitted.value.load(ordering: .acquiring) {
                consumeSlot(slots[done % Self.ringSize])
                done += 1
                consumed.value.store(done, ordering: .releasing)
                backoff = Backoff(sleeps: true)
            } else if state.value.load(ordering: .acquiring) == 2 {
                // The request to end comes after the last submission: nothing is left.
                state.value.store(0, ordering: .releasing)
                return
            } else {
                backoff.wait()
            }
        }
    }

    private func consumeSlot(_ slot: Slot) {
        consume(UnsafeRawBufferPointer(start: slot.start, count: slot.length))
        if slot.isJumbo { slot.start.deallocate() }
    }
}

/// An atomic integer with a cache line to itself (64 bytes of padding either
/// side): one thread writes it while the other polls it.
private final class PaddedAtomic: Sendable {
    private let paddingBefore: (Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0)
    let value = Atomic<Int>(0)
    private let paddingAfter: (Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0)
}

/// Waiting for the other thread: a few quick checks, then short naps, or
/// yields of the CPU for a waiter that must not oversleep. The two CPUs may
/// be hyperthreads of one core, where a spinning waiter slows the thread it
/// waits for.
private struct Backoff {
    let sleeps: Bool
    private var rounds = 0

    init(sleeps: Bool) { self.sleeps = sleeps }

    mutating func wait() {
        rounds += 1
        guard rounds > 16 else { return }
        if sleeps { usleep(50) } else { sched_yield() }
    }
}
