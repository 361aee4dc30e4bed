import I386

/// Device time: nanoseconds that advance only when the platform says so.
///
/// Nothing in `PC` reads the host clock. The platform advances this clock from
/// the CPU's instruction count (by default 1 instruction = 1 ns) before every
/// device access and at block boundaries, so a device that computes a count
/// from `now` sees exact, reproducible values, and every run of the same input
/// interrupts at the same instruction.
///
/// Devices schedule their future events (a timer edge, a received byte) with
/// `schedule(at:_:)`. `advance(to:)` fires every due action in deadline order,
/// with `now` set to that action's deadline while it runs; actions due at the
/// same time run in the order they were scheduled. `nextDeadline` is a stored
/// value, so the run loop can compare against it every block.
public final class VirtualClock {
    /// The current device time in nanoseconds. It never goes backwards.
    public var now: UInt64 { currentTime }

    /// The deadline of the earliest scheduled action, or `UInt64.max` when nothing is scheduled.
    public var nextDeadline: UInt64 { earliestDeadline }

    // The stored values behind `now` and `nextDeadline`: private, so every
    // access is known and needs no run-time exclusivity check (the CPU reads
    // them at every device access).
    private var currentTime: UInt64
    private var earliestDeadline: UInt64 = .max

    /// Scheduled (deadline, sequence) pairs as a binary min-heap; cancelled entries
    /// stay in it until they reach the top or the heap is compacted.
    private var heap: [Entry] = []
    /// The actions still live, by sequence number: a cancelled entry has none.
    private var actions: [UInt64: () -> Void] = [:]
    private var nextSequence: UInt64 = 0
    private var isAdvancing = false

    /// Creates a clock that reads `now` (0 unless a platform restores a saved time).
    public init(now: UInt64 = 0) {
        currentTime = now
    }

    /// The number of actions scheduled and not yet run or cancelled.
    public var scheduledCount: Int { actions.count }

    /// Schedules `action` to run when the clock reaches `deadline`.
    ///
    /// A deadline earlier than `now` is due at once: the action runs at the next
    /// `advance(to:)`, with `now` unchanged. The action may schedule and cancel
    /// other actions, including ones due at the same time.
    @discardableResult
    public func schedule(at deadline: UInt64, _ action: @escaping () -> Void) -> TimerToken {
        let sequence = nextSequence
        nextSequence &+= 1
        actions[sequence] = action
        push(Entry(deadline: max(deadline, currentTime), sequence: sequence))
        earliestDeadline = heap[0].deadline
        return TimerToken(sequence: sequence)
    }

    /// Schedules `action` to run `delay` nanoseconds from now (saturating at `UInt64.max`).
    @discardableResult
    public func schedule(after delay: UInt64, _ action: @escaping () -> Void) -> TimerToken {
        let (deadline, overflow) = currentTime.addingReportingOverflow(delay)
        return schedule(at: overflow ? .max : deadline, action)
    }

    /// Cancels the action named by `token`; does nothing if it already ran or was cancelled.
    public func cancel(_ token: TimerToken) {
        guard actions.removeValue(forKey: token.sequence) != nil else { return }
        dropCancelledTop()
        compactIfMostlyCancelled()
    }

    /// Moves `now` to `time`, running every action due by then in deadline order.
    ///
    /// While an action runs, `now` is its deadline. A `time` earlier than `now`
    /// moves nothing (time never goes backwards) but still runs actions that are
    /// due. A call from inside a running action is ignored: a device never moves
    /// time itself, and a nested advance would break the ordering.
    public func advance(to time: UInt64) {
        // The common case: nothing is due yet (the CPU calls this at every device access).
        if time < earliestDeadline && currentTime < earliestDeadline {
            if time > currentTime && !isAdvancing { currentTime = time }
            return
        }
        guard !isAdvancing else { return }
        isAdvancing = true
        defer { isAdvancing = false }
        let limit = max(time, currentTime)
        while let entry = heap.first, entry.deadline <= limit {
            _ = popTop()
            guard let action = actions.removeValue(forKey: entry.sequence) else { continue }
            if entry.deadline > currentTime { currentTime = entry.deadline }
            dropCancelledTop()
            action()
        }
        dropCancelledTop()
        if time > currentTime { currentTime = time }
    }

    // MARK: - The heap

    fileprivate struct Entry {
        var deadline: UInt64
        var sequence: UInt64

        /// Earlier deadlines first; ties in scheduling order.
        func precedes(_ other: Entry) -> Bool {
            deadline != other.deadline ? deadline < other.deadline : sequence < other.sequence
        }
    }

    private func push(_ entry: Entry) {
        heap.append(entry)
        siftUp(from: heap.count - 1)
    }

    private func popTop() -> Entry {
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(from: 0)
        }
        return top
    }

    /// Pops cancelled entries off the top so `nextDeadline` names a live action.
    private func dropCancelledTop() {
        while let top = heap.first, actions[top.sequence] == nil {
            _ = popTop()
        }
        earliestDeadline = heap.first?.deadline ?? .max
    }

    /// Rebuilds the heap without cancelled entries once they outnumber the live ones,
    /// so a guest that reprograms a timer in a loop cannot grow it without bound.
    private func compactIfMostlyCancelled() {
        guard heap.count > 64, heap.count > 2 * actions.count else { return }
        heap.removeAll { actions[$0.sequence] == nil }
        var index = heap.count / 2
        while index > 0 {
            index -= 1
            siftDown(from: index)
        }
        earliestDeadline = heap.first?.deadline ?? .max
    }

    private func siftUp(from start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private func siftDown(from start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            let right = left + 1
            var first = left
            if right < heap.count, heap[right].precedes(heap[left]) { first = right }
            guard heap[first].precedes(heap[parent]) else { return }
            heap.swapAt(first, parent)
            parent = first
        }
    }
}

// MARK: - Snapshots

extension VirtualClock: Snapshotting {
    /// The time and every scheduled action, as a value. The actions are the
    /// closures devices scheduled; they act on the devices' state, which is
    /// restored from the same moment (`PCPlatform.Snapshot`).
    public struct Snapshot {
        fileprivate let currentTime: UInt64
        fileprivate let earliestDeadline: UInt64
        fileprivate let heap: [Entry]
        fileprivate let actions: [UInt64: () -> Void]
        fileprivate let nextSequence: UInt64
        fileprivate let isAdvancing: Bool
    }

    public func snapshot() -> Snapshot {
        Snapshot(currentTime: currentTime, earliestDeadline: earliestDeadline, heap: heap, actions: actions,
                 nextSequence: nextSequence, isAdvancing: isAdvancing)
    }

    /// Puts the time and the schedule back; time may go backwards here, and only here.
    public func restore(_ snapshot: Snapshot) {
        currentTime = snapshot.currentTime
        earliestDeadline = snapshot.earliestDeadline
        heap = snapshot.heap
        actions = snapshot.actions
        nextSequence = snapshot.nextSequence
        isAdvancing = snapshot.isAdvancing
    }
}
