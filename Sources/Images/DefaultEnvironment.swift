import I386
import KernelModel

/// The environment kstep builds for inputs that bring none: flat ring-0
/// protected mode with a GDT laid out like Linux 2.6's (kernel and user
/// code/data, TLS entries 6–8, a TSS), a TSS whose esp0 is the top of the
/// default stack, and one 8 KB thread_union at 0x015fa000 whose
/// thread_info.task points at a default task_struct ("swapper", pid 0).
public enum DefaultEnvironment {
    /// Where the GDT, TSS and default task_struct live.
    public static let gdtAddress: UInt32 = 0x0001_0000
    public static let tssAddress: UInt32 = 0x0001_0800
    public static let taskAddress: UInt32 = 0x0001_1000
    public static let threadUnion: UInt32 = 0x015F_A000

    /// esp at the start: the last word of the union's stack, one word below its top.
    /// An esp exactly at the top would belong, for the `current` macro, to the next
    /// union (Linux never runs kernel code with an empty stack), so `current` works
    /// from the first instruction.
    public static func initialStackPointer(threadSize: UInt32 = Linux26.threadSize) -> UInt32 {
        threadUnion &+ threadSize &- 4
    }

    /// The environment's symbols as a link script's PROVIDE lines, so that `--asm`
    /// and `.s`/`.S` inputs can name them (`movl $init_task,%eax`) unless they
    /// define them.
    public static let linkScriptSymbols = """
        PROVIDE(init_thread_union = 0x015fa000);
        PROVIDE(cpu_gdt_table = 0x00010000);
        PROVIDE(init_tss = 0x00010800);
        PROVIDE(init_task = 0x00011000);
        """

    /// Builds the environment in `machine` unless the input already uses
    /// those addresses; returns the symbols it defines (`init_task`,
    /// `init_thread_union`, `cpu_gdt_table`, `init_tss`). `threadSize` is the
    /// union's size (8192, or 4096 for CONFIG_4KSTACKS).
    @discardableResult
    public static func install(on machine: Machine, threadSize: UInt32 = Linux26.threadSize) throws(CPUException) -> [ELFSymbol] {
        var symbols: [ELFSymbol] = []
        let stackTop = threadUnion &+ threadSize
        // The image may bring its own union at this address: then its thread_info is its own.
        let ownsUnion = !machine.physicalMemory.isMapped(threadUnion, size: threadSize)
        if ownsUnion {
            machine.map(threadUnion, size: threadSize, permissions: .all)
            symbols.append(symbol("init_thread_union", threadUnion, threadSize))
        }
        machine[.esp] = initialStackPointer(threadSize: threadSize)

        let tablesSize = taskAddress &+ Linux26.TaskStruct.size &- gdtAddress
        guard !machine.physicalMemory.isMapped(gdtAddress, size: tablesSize) else { return symbols }
        machine.map(gdtAddress, size: tablesSize, permissions: .all)

        // GDT: null, TLS 6–8 empty, kernel/user code and data (flat 4 GB), the TSS.
        func descriptor(base: UInt32, limit: UInt32, access: UInt8, flags: UInt8) -> [UInt8] {
            [UInt8(limit & 0xFF), UInt8((limit >> 8) & 0xFF), UInt8(base & 0xFF), UInt8((base >> 8) & 0xFF),
             UInt8((base >> 16) & 0xFF), access, (flags << 4) | UInt8((limit >> 16) & 0xF), UInt8(base >> 24)]
        }
        var gdt = [UInt8](repeating: 0, count: Linux26.GDT.entries * 8)
        func put(_ selector: UInt16, _ bytes: [UInt8]) {
            let offset = Int(selector & 0xFFF8)
            gdt.replaceSubrange(offset..<(offset + 8), with: bytes)
        }
        put(Linux26.GDT.kernelCS, descriptor(base: 0, limit: 0xFFFFF, access: 0x9A, flags: 0xC))
        put(Linux26.GDT.kernelDS, descriptor(base: 0, limit: 0xFFFFF, access: 0x92, flags: 0xC))
        put(Linux26.GDT.userCS, descriptor(base: 0, limit: 0xFFFFF, access: 0xFA, flags: 0xC))
        put(Linux26.GDT.userDS, descriptor(base: 0, limit: 0xFFFFF, access: 0xF2, flags: 0xC))
        put(Linux26.GDT.tss, descriptor(base: tssAddress, limit: Linux26.TSS.size + 8192 / 8, access: 0x89, flags: 0))
        try machine.write(gdt, at: gdtAddress)
        machine.gdtr = TableRegister(base: gdtAddress, limit: UInt16(gdt.count - 1))

        // TSS: ss0:esp0 = kernel data : top of the default stack. The I/O map base
        // is Linux's INVALID_IO_BITMAP_OFFSET (0x8000, past the limit: ring 3 may
        // use no port); a bitmap of 1024 bytes follows the TSS for images that set
        // the base to 104.
        var tss = [UInt8](repeating: 0, count: Int(Linux26.TSS.size))
        store(stackTop, into: &tss, at: Linux26.TSS.esp0)
        store(UInt32(Linux26.GDT.kernelDS), into: &tss, at: Linux26.TSS.ss0)
        store(0x8000 << 16, into: &tss, at: Linux26.TSS.ioBitmapBase - 2)
        try machine.write(tss, at: tssAddress)

        // The default task and its thread_info.
        var task = [UInt8](repeating: 0, count: Int(Linux26.TaskStruct.size))
        store(threadUnion, into: &task, at: Linux26.TaskStruct.threadInfo)
        task.replaceSubrange(Int(Linux26.TaskStruct.comm)..<Int(Linux26.TaskStruct.comm) + 7, with: Array("swapper".utf8))
        store(taskAddress &+ Linux26.TaskStruct.tasks, into: &task, at: Linux26.TaskStruct.tasks)
        store(taskAddress &+ Linux26.TaskStruct.tasks, into: &task, at: Linux26.TaskStruct.tasks + 4)
        store(stackTop, into: &task, at: Linux26.TaskStruct.esp0)
        try machine.write(task, at: taskAddress)
        if ownsUnion {
            var info = [UInt8](repeating: 0, count: Int(Linux26.ThreadInfo.size))
            store(taskAddress, into: &info, at: Linux26.ThreadInfo.task)
            store(0xFFFF_FFFF, into: &info, at: Linux26.ThreadInfo.addrLimit)
            try machine.write(info, at: threadUnion)
        }

        try machine.loadSegmentRegister(.cs, selector: Linux26.GDT.kernelCS)
        for segment in [SegmentName.ds, .es, .ss] {
            try machine.loadSegmentRegister(segment, selector: Linux26.GDT.kernelDS)
        }
        try machine.loadSegmentRegister(.fs, selector: 0)
        try machine.loadSegmentRegister(.gs, selector: 0)
        try machine.loadTaskRegister(selector: Linux26.GDT.tss)

        symbols += [symbol("cpu_gdt_table", gdtAddress, UInt32(gdt.count)),
                    symbol("init_tss", tssAddress, Linux26.TSS.size),
                    symbol("init_task", taskAddress, Linux26.TaskStruct.size)]
        return symbols
    }

    private static func store(_ value: UInt32, into bytes: inout [UInt8], at offset: UInt32) {
        for index in 0..<4 { bytes[Int(offset) + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(index))) }
    }

    private static func symbol(_ name: String, _ value: UInt32, _ size: UInt32) -> ELFSymbol {
        ELFSymbol(name: name, value: value, size: size, kind: .object, isGlobal: true, sectionIndex: 0xFFF1)
    }
}
