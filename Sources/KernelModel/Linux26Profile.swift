/// Linux 2.6 as a trace sees it: `current` is the task whose thread_info
/// sits at esp & ~(THREAD_SIZE − 1) (its layouts are the `Linux26` enums), a
/// context switch is esp jumping to another task's thread_union
/// (switch_to's `movl 484(%edx),%esp`), the TSS is the one TR names, and
/// system calls are `int $0x80`.
public struct Linux26Profile: Sendable, Equatable {
    /// THREAD_SIZE: 8192, or 4096 with CONFIG_4KSTACKS.
    public var threadSize: UInt32

    /// Linux 2.6 with THREAD_SIZE `threadSize`.
    public init(threadSize: UInt32 = Linux26.threadSize) {
        self.threadSize = threadSize
    }

    /// The `current` macro's mask for this THREAD_SIZE.
    public var currentMask: UInt32 { Linux26.currentMask(threadSize: threadSize) }

    /// How far esp must move between stacks for the move to count as a switch
    /// rather than a `ret` leaving esp at the top of a stack.
    public static let switchDistance: UInt32 = 64
}
