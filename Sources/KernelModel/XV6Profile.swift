/// MIT's xv6 (x86) as a trace sees it, as data read from the kernel's
/// symbols and DWARF (Images builds it: `XV6Profile(elf:)`), so a rebuilt
/// kernel works:
///
/// - the current process is `cpus[0].proc` (a `struct proc *`, 0 while the
///   scheduler runs); nothing is derived from the stack pointer;
/// - a context switch is `swtch`'s `mov %edx,%esp`: esp becomes the next
///   `struct context *`; the scheduler's own context pointer is `cpus[0].scheduler`;
/// - `switchuvm` sets the TSS's esp0 in `cpus[0].ts`;
/// - system calls are `int $0x40` (T_SYSCALL) with the number in eax.
public struct XV6Profile: Sendable, Equatable {
    /// The `struct proc` fields a trace shows.
    public struct ProcessLayout: Sendable, Equatable {
        /// `sizeof(struct proc)`.
        public var size: UInt32
        /// `char *kstack`: the bottom of the process's kernel stack.
        public var kernelStack: UInt32
        /// `enum procstate state`.
        public var state: UInt32
        /// `int pid`.
        public var pid: UInt32
        /// `char name[16]`.
        public var name: UInt32
        /// Bytes of `name`.
        public var nameLength: UInt32

        /// A layout from `struct proc`'s offsets (bytes from the start of the structure).
        public init(size: UInt32, kernelStack: UInt32, state: UInt32, pid: UInt32, name: UInt32, nameLength: UInt32) {
            self.size = size
            self.kernelStack = kernelStack
            self.state = state
            self.pid = pid
            self.name = name
            self.nameLength = nameLength
        }
    }

    /// The `struct cpu` fields a trace uses.
    public struct CPULayout: Sendable, Equatable {
        /// `sizeof(struct cpu)`.
        public var size: UInt32
        /// `struct context *scheduler`.
        public var scheduler: UInt32
        /// `struct taskstate ts`, and its `esp0` from the start of `struct cpu`.
        public var taskState: UInt32
        public var taskStateESP0: UInt32
        /// `struct proc *proc`.
        public var process: UInt32

        /// A layout from `struct cpu`'s offsets (bytes from the start of the structure).
        public init(size: UInt32, scheduler: UInt32, taskState: UInt32, taskStateESP0: UInt32, process: UInt32) {
            self.size = size
            self.scheduler = scheduler
            self.taskState = taskState
            self.taskStateESP0 = taskStateESP0
            self.process = process
        }
    }

    /// `struct proc`.
    public var process: ProcessLayout
    /// `struct cpu`.
    public var cpu: CPULayout
    /// `enum procstate`'s names by value (UNUSED, EMBRYO, SLEEPING, RUNNABLE, RUNNING, ZOMBIE).
    public var processStates: [String]
    /// The address of `cpus` (`struct cpu cpus[NCPU]`).
    public var cpus: UInt32
    /// The address of `swtch`'s `mov %edx,%esp`.
    public var stackSwitch: UInt32
    /// `int $0x40` and the calls by number.
    public var systemCalls: SystemCallTable

    /// A profile from its values (`XV6Profile(elf:)` reads them from a kernel).
    public init(process: ProcessLayout, cpu: CPULayout, processStates: [String], cpus: UInt32, stackSwitch: UInt32,
                systemCalls: SystemCallTable = XV6Profile.defaultSystemCalls) {
        self.process = process
        self.cpu = cpu
        self.processStates = processStates
        self.cpus = cpus
        self.stackSwitch = stackSwitch
        self.systemCalls = systemCalls
    }

    /// Where the current process pointer is: `&cpus[0].proc`.
    public var currentProcessAddress: UInt32 { cpus &+ cpu.process }
    /// Where the scheduler's context pointer is: `&cpus[0].scheduler`.
    public var schedulerContextAddress: UInt32 { cpus &+ cpu.scheduler }
    /// Where `switchuvm` writes the TSS's esp0: `&cpus[0].ts.esp0`.
    public var taskStateESP0Address: UInt32 { cpus &+ cpu.taskStateESP0 }

    /// The name of process state `value`, if it has one.
    public func stateName(_ value: UInt32) -> String? {
        value < UInt32(processStates.count) ? processStates[Int(value)] : nil
    }

    /// T_SYSCALL (`traps.h`; a macro, so not in the DWARF).
    public static let systemCallVector: UInt8 = 0x40
    /// KSTACKSIZE (`param.h`): each process's kernel stack.
    public static let kernelStackSize: UInt32 = 4096
    /// The label a trace gives the scheduler's context (no process).
    public static let schedulerName = "scheduler"

    /// xv6's calls (`syscall.h`): the kernel's own `syscalls[]` table names them
    /// when it can be read; these are the numbers of the x86 version's last commit.
    public static let defaultSystemCalls = SystemCallTable(vector: systemCallVector, names: [
        nil, "fork", "exit", "wait", "pipe", "read", "kill", "exec", "fstat", "chdir", "dup", "getpid", "sbrk",
        "sleep", "uptime", "open", "write", "mknod", "unlink", "link", "mkdir", "close",
    ])
}
