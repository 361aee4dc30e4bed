/// The wait-queue, timer and task-state layouts the trace's kernel events read
/// (`Images/include/linux26.h` has the same offsets), and the kernel functions
/// whose entry is an event, found by symbol name in an image.
extension Linux26 {
    /// `wait_queue_t` (`struct __wait_queue`) and `wait_queue_head_t`.
    public enum WaitQueue {
        public static let flags: UInt32 = 0
        public static let task: UInt32 = 4
        public static let function: UInt32 = 8
        public static let taskList: UInt32 = 12
        /// `wait_queue_head_t.task_list` (after the spinlock).
        public static let headTaskList: UInt32 = 4
        /// WQ_FLAG_EXCLUSIVE in `flags`.
        public static let exclusiveFlag: UInt32 = 1
    }

    /// `struct timer_list`, as the seeds give it.
    public enum TimerList {
        public static let expires: UInt32 = 8
        public static let data: UInt32 = 12
        public static let function: UInt32 = 16
    }

    /// The task states (`include/linux/sched.h`; 8 and 16 as in 2.6.0–2.6.10, the seeds' kernels).
    public static let taskStateNames: [(value: UInt32, name: String)] = [
        (0, "TASK_RUNNING"), (1, "TASK_INTERRUPTIBLE"), (2, "TASK_UNINTERRUPTIBLE"), (4, "TASK_STOPPED"),
        (8, "TASK_ZOMBIE"), (16, "TASK_DEAD"),
    ]

    /// The name of a task state value, if it is one of `taskStateNames`.
    public static func taskStateName(_ value: UInt32) -> String? {
        taskStateNames.first { $0.value == value }?.name
    }

    /// A kernel function whose entry the trace reports, with where its arguments are.
    /// The image must not inline it (the micro-images mark these `noinline`) and
    /// must keep the calling convention named here (fastcall: eax, edx, ecx).
    public enum TracedFunction: UInt8, Sendable, CaseIterable {
        /// `fastcall add_wait_queue(q, wait)`: q in eax, wait in edx.
        case addWaitQueue
        /// `fastcall add_wait_queue_exclusive(q, wait)`.
        case addWaitQueueExclusive
        /// `fastcall remove_wait_queue(q, wait)`.
        case removeWaitQueue
        /// `default_wake_function(curr, mode, sync, key)`: wake_up's `curr->func`, arguments on the stack.
        case defaultWakeFunction
        /// `fastcall add_timer(timer)`: timer in eax.
        case addTimer
        /// `fastcall del_timer(timer)`.
        case delTimer
        /// `fastcall call_timer_fn(timer, fn, data)`: run_timer_list calling an expired timer's function.
        case callTimerFunction
        /// `fastcall do_wp_page(mm, address, page_table)`: a write fault on a present, read-only page.
        case doWPPage
        /// `fastcall copy_cow_page(from, to, address)`: do_wp_page copying a shared page.
        case copyCOWPage

        /// The symbol the function has in a kernel image.
        public var symbolName: String {
            switch self {
            case .addWaitQueue: "add_wait_queue"
            case .addWaitQueueExclusive: "add_wait_queue_exclusive"
            case .removeWaitQueue: "remove_wait_queue"
            case .defaultWakeFunction: "default_wake_function"
            case .addTimer: "add_timer"
            case .delTimer: "del_timer"
            case .callTimerFunction: "call_timer_fn"
            case .doWPPage: "do_wp_page"
            case .copyCOWPage: "copy_cow_page"
            }
        }
    }
}
