/// The Linux 2.6 i386 process-management layouts, as data (see the seeds and
/// `Images/include/linux26.h`, which the images compile against).
public enum Linux26 {
    /// THREAD_SIZE: 8 KB (two page frames), or 4 KB with CONFIG_4KSTACKS.
    public static let threadSize: UInt32 = 8192
    public static let threadSize4K: UInt32 = 4096

    /// `struct thread_info`, at the lowest address of a thread_union.
    public enum ThreadInfo {
        public static let size: UInt32 = 52
        public static let task: UInt32 = 0
        public static let execDomain: UInt32 = 4
        public static let flags: UInt32 = 8
        public static let status: UInt32 = 12
        public static let cpu: UInt32 = 16
        public static let preemptCount: UInt32 = 20
        public static let addrLimit: UInt32 = 24
        public static let restartBlock: UInt32 = 28
        public static let previousESP: UInt32 = 48
    }

    /// `struct task_struct` (the fields kstep names; `thread` is at 448).
    public enum TaskStruct {
        public static let state: UInt32 = 0
        public static let threadInfo: UInt32 = 4
        public static let pid: UInt32 = 8
        public static let comm: UInt32 = 12
        public static let commLength: UInt32 = 16
        public static let tasks: UInt32 = 28
        public static let mm: UInt32 = 36
        public static let thread: UInt32 = 448
        public static let tlsArray: UInt32 = 448
        public static let esp0: UInt32 = 472
        public static let eip: UInt32 = 480
        public static let esp: UInt32 = 484
        public static let fs: UInt32 = 488
        public static let gs: UInt32 = 492
        public static let debugreg: UInt32 = 496
        /// Bytes kstep's default task_struct occupies.
        public static let size: UInt32 = 1152
    }

    /// GDT entries (`include/asm-i386/segment.h`) and their selectors.
    public enum GDT {
        public static let tlsFirstEntry = 6
        public static let tlsEntries = 3
        public static let kernelCS: UInt16 = 12 << 3         // 0x60
        public static let kernelDS: UInt16 = 13 << 3         // 0x68
        public static let userCS: UInt16 = 14 << 3 | 3       // 0x73
        public static let userDS: UInt16 = 15 << 3 | 3       // 0x7b
        public static let tss: UInt16 = 16 << 3              // 0x80
        public static let ldt: UInt16 = 17 << 3              // 0x88
        public static let entries = 32
    }

    /// `struct tss_struct`: the hardware TSS.
    public enum TSS {
        public static let esp0: UInt32 = 4
        public static let ss0: UInt32 = 8
        public static let ioBitmapBase: UInt32 = 102
        public static let size: UInt32 = 104
    }

    /// The `current` macro for a THREAD_SIZE: the mask applied to esp.
    public static func currentMask(threadSize: UInt32) -> UInt32 { ~(threadSize &- 1) }
}
