/// The kernel a trace annotates: how it finds the current task, where it
/// switches tasks, where the TSS's esp0 is set, and how system calls enter.
/// Profiles are data; the tracer reads guest memory with them.
public enum KernelProfile: Sendable, Equatable {
    /// Linux 2.6 (the default): `current` from the stack pointer.
    case linux26(Linux26Profile)
    /// xv6: `current` is `cpus[0].proc`.
    case xv6(XV6Profile)

    /// The name `--kernel` takes.
    public var name: String {
        switch self {
        case .linux26: "linux26"
        case .xv6: "xv6"
        }
    }

    /// The kernel's system-call entry and names.
    public var systemCalls: SystemCallTable {
        switch self {
        case .linux26: Linux26.systemCalls
        case .xv6(let profile): profile.systemCalls
        }
    }

    /// Linux 2.6 with 8 KB stacks.
    public static let linux26Default = KernelProfile.linux26(Linux26Profile())
}
